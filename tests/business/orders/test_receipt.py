"""The printable receipt and the money on a booking: lines, totals, payments and balance,
escaped, in the currency's decimals, visible to staff and the booking's own account."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.business.orders.test_booking import API, _body, _salon, admin, customer_account
from tests.business.orders.test_lines import _add, _product
from tests.security.audit.callers import Caller

__all__ = ["admin"]  # a fixture, imported for pytest to find


async def _paid_booking(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> dict[str, Any]:
    salon = await _salon(client, admin, stylists=1)
    await client.patch(
        f"{API}/customers/{salon['customer']}",
        headers=admin.headers,
        json={"name": "Ada <b>Lovelace</b>"},
    )
    booked = await client.post(f"{API}/bookings", headers=admin.headers, json=_body(salon))
    booking: dict[str, Any] = booked.json()
    comb = await _product(db, "3.1", stock=5)
    await _add(client, admin, booking["id"], comb, 2)  # 30.50 + 2 x 3.10 = 36.70
    paid = await client.post(
        f"{API}/bookings/{booking['id']}/payments",
        headers={**admin.headers, "Idempotency-Key": f"pay-{booking['id']}"},
        json={"amount": "20", "currency": "EUR", "method": "cash", "capture": True},
    )
    assert paid.status_code == 201, paid.text
    return booking


async def test_the_booking_shows_paid_refunded_and_balance_due(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    booking = await _paid_booking(client, admin, db)
    read = (await client.get(f"{API}/bookings/{booking['id']}", headers=admin.headers)).json()
    assert (read["total"], read["amount_paid"], read["amount_refunded"], read["balance_due"]) == (
        "36.7",
        "20",
        "0",
        "16.7",
    )


async def test_the_receipt_lists_lines_totals_payments_and_balance(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    await client.patch(
        f"{API}/settings/business",
        headers=admin.headers,
        json={"business_name": "Salon & Co", "business_address": "1 Rue de Rivoli\n75001 Paris"},
    )
    booking = await _paid_booking(client, admin, db)
    response = await client.get(f"{API}/bookings/{booking['id']}/receipt", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "private, no-store"
    page = response.text
    assert "<h1>Salon &amp; Co</h1>" in page
    assert "1 Rue de Rivoli<br>75001 Paris" in page
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in page
    assert "<b>Lovelace" not in page
    assert "<td class=n>2</td><td class=n>3.10</td><td class=n>6.20</td>" in page
    assert "Total (EUR)</td>\n<td class=n>36.70</td>" in page
    assert "<td>cash, captured</td>" in page
    assert "<td class=n>20.00</td>" in page
    assert "Balance due</td><td class=n>16.70</td>" in page
    assert "<script" not in page


async def test_only_staff_and_the_bookings_own_account_get_the_receipt(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    booking = await _paid_booking(client, admin, db)
    stranger, _ = await customer_account(app, client, db)
    url = f"{API}/bookings/{booking['id']}/receipt"
    assert (await client.get(url, headers=stranger.headers)).status_code == 404
    assert (await client.get(url)).status_code == 401
