"""Bad amounts and currencies are 422 and store nothing: no row, no timeline entry, no
audit row, no idempotency key left behind."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.business.payments.conftest import NewBooking
from tests.business.payments.support import NOTHING, ok, pay, refund, stored
from tests.security.audit.callers import Caller

BAD_AMOUNTS: list[tuple[str, Any, str]] = [
    # (booking currency, amount as sent, why)
    ("EUR", "-5", "negative"),
    ("EUR", "0", "zero"),
    ("EUR", "0.00", "zero with decimals"),
    ("EUR", "NaN", "not a number"),
    ("EUR", "Infinity", "infinite"),
    ("EUR", "-Infinity", "minus infinity"),
    ("EUR", "1e3", "exponent"),
    ("EUR", "1E-2", "exponent"),
    ("EUR", "+5", "explicit sign"),
    ("EUR", " 5", "spaces"),
    ("EUR", "", "empty"),
    ("EUR", "5,00", "comma"),
    ("EUR", 12.5, "a JSON float"),
    ("EUR", True, "a boolean"),
    ("EUR", None, "null"),
    ("EUR", "12.345", "three decimals in EUR"),
    ("EUR", "12.34567", "beyond the column's four decimals"),
    ("JPY", "100.5", "decimals in JPY"),
    ("BHD", "1.2345", "four decimals in BHD"),
    ("EUR", "100000000000000", "beyond the column's range"),
    ("EUR", "99999999999999.99999", "beyond range and scale"),
]


@pytest.mark.parametrize(
    ("currency", "amount", "why"), BAD_AMOUNTS, ids=[b[2] for b in BAD_AMOUNTS]
)
async def test_a_bad_amount_is_422_and_stores_nothing(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    currency: str,
    amount: Any,
    why: str,
) -> None:
    booking = await new_booking("100000", currency=currency)
    response = await pay(client, admin, booking, amount, currency=currency)
    assert response.status_code == 422, (why, response.text)
    assert response.json()["errors"][0]["path"] == "body.amount"
    assert await stored(db) == NOTHING


@pytest.mark.parametrize(
    ("currency", "amount", "shown"),
    [("EUR", "12.50", "12.5"), ("EUR", "10.000", "10"), ("JPY", "1500", "1500"),
     ("BHD", "1.250", "1.25"), ("EUR", 30, "30")],
)  # fmt: skip
async def test_amounts_the_currency_allows_are_taken(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    currency: str,
    amount: Any,
    shown: str,
) -> None:
    booking = await new_booking("100000", currency=currency)
    assert ok(await pay(client, admin, booking, amount, currency=currency))["amount"] == shown


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"currency": "XYZ"}, "body.currency"),  # not ISO 4217
        ({"currency": "XAU"}, "body.currency"),  # gold: no minor unit, not money here
        ({"currency": "eur"}, "body.currency"),
        ({"currency": "USD"}, "body.currency"),  # not the booking's
        ({"method": "bitcoin"}, "body.method"),
        ({"status": "captured"}, "body.status"),  # the server decides the state
        ({"external_reference": "   "}, "body.external_reference"),
        ({"external_reference": "x" * 201}, "body.external_reference"),
    ],
)
async def test_bad_fields_are_422_and_store_nothing(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    fields: dict[str, Any],
    path: str,
) -> None:
    booking = await new_booking("100")
    response = await pay(client, admin, booking, "10", **fields)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == path
    assert await stored(db) == NOTHING


async def test_an_unknown_booking_currency_takes_no_payment(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking("100", currency="XYZ")
    response = await pay(client, admin, booking, "10", currency="XYZ")
    assert response.status_code == 422
    assert await stored(db) == NOTHING


@pytest.mark.parametrize("amount", ["0", "-1", "NaN", "10.001", "1e1"])
async def test_a_bad_refund_amount_is_422_and_stores_nothing(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    amount: str,
) -> None:
    booking = await new_booking("100")
    paid = ok(await pay(client, admin, booking, "100"))
    before = await stored(db)
    response = await refund(client, admin, paid["id"], amount)
    assert response.status_code == 422, response.text
    assert await stored(db) == before
