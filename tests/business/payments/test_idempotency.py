"""SECURITY.md 20 on every money-moving POST: the key is required (428), the same key and
body replays the first response and moves nothing again, another body is a 422, a
request still in flight a 409, and a failed request gives its key back."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.payments.schemas import PaymentCreate
from frontdesk.core import idempotency
from tests.business.payments.conftest import NewBooking
from tests.business.payments.support import API, keyed, ok, pay, refund, stored
from tests.security.audit.callers import Caller, signed_in


async def test_a_retried_payment_replays_the_first_answer_and_charges_once(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking("100.00")
    first = await pay(client, admin, booking, "40", key="pay-7f3a")
    again = await pay(client, admin, booking, "40.00", key="pay-7f3a")  # same amount
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await stored(db) == {"payments": 1, "events": 2, "audit": 2, "keys": 1}


async def test_a_retried_refund_refunds_once(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking("100.00")
    paid = ok(await pay(client, admin, booking, "100"))
    first = await refund(client, admin, paid["id"], "60", key="refund-1")
    again = await refund(client, admin, paid["id"], "60", key="refund-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert (await stored(db))["payments"] == 2  # the payment and one refund


async def test_the_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking("100.00")
    ok(await pay(client, admin, booking, "40", key="pay-1"))
    changed = await pay(client, admin, booking, "41", key="pay-1")
    assert (changed.status_code, changed.json()["code"]) == (422, "idempotency_key_reused")
    elsewhere = await pay(client, admin, await new_booking(), "40", key="pay-1")
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (422, "idempotency_key_reused")
    assert (await stored(db))["payments"] == 1


async def test_a_key_in_flight_answers_409(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    """The first request's claim is committed and not completed yet, as while it runs."""
    booking = await new_booking("100.00")
    body = {"amount": "40", "currency": "EUR", "method": "cash"}
    path = f"{API}/bookings/{booking}/payments"
    claimed = await idempotency.claim(
        db,
        owner=str(admin.user_id),
        key="pay-busy",
        method="POST",
        path=path,
        request_fingerprint=idempotency.fingerprint(
            "POST", path, PaymentCreate.model_validate(body).model_dump(mode="json")
        ),
    )
    assert isinstance(claimed, idempotency.Claim)
    busy = await client.post(path, headers=keyed(admin, "pay-busy"), json=body)
    assert (busy.status_code, busy.json()["code"]) == (409, "idempotency_in_flight")
    assert (await stored(db))["payments"] == 0


def _posts(booking: uuid.UUID, payment: str) -> list[tuple[str, dict[str, Any] | None]]:
    return [
        (
            f"{API}/bookings/{booking}/payments",
            {"amount": "1", "currency": "EUR", "method": "cash"},
        ),
        (f"{API}/payments/{payment}/capture", None),
        (f"{API}/payments/{payment}/void", None),
        (f"{API}/payments/{payment}/fail", {"reason": "declined"}),
        (f"{API}/payments/{payment}/refunds", {"amount": "1"}),
    ]


@pytest.mark.parametrize("index", range(5))
async def test_every_money_moving_post_needs_a_key(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    index: int,
) -> None:
    booking = await new_booking("100.00")
    paid = ok(await pay(client, admin, booking, "10"))
    before = await stored(db)
    path, body = _posts(booking, paid["id"])[index]
    missing = await client.post(path, headers=admin.headers, json=body)
    assert (missing.status_code, missing.json()["code"]) == (428, "idempotency_key_required")
    malformed = await client.post(path, headers=keyed(admin, "has space"), json=body)
    assert malformed.status_code == 422
    assert await stored(db) == before


async def test_a_failed_request_gives_its_key_back(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await new_booking("50.00")
    too_much = await pay(client, admin, booking, "60", key="retry-me")
    assert too_much.status_code == 409
    assert (await stored(db))["keys"] == 0
    again = await pay(client, admin, booking, "60", key="retry-me")
    assert again.status_code == 409  # ran again, not replayed
    assert "idempotent-replayed" not in again.headers
    ok(await pay(client, admin, booking, "50", key="retry-me"))


async def test_keys_belong_to_their_caller(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    app: FastAPI,
) -> None:
    other = await signed_in(app, db, role="admin")
    booking = await new_booking("100.00")
    ok(await pay(client, admin, booking, "10", key="shared"))
    ok(await pay(client, other, booking, "10", key="shared"))
    assert (await stored(db))["payments"] == 2
