"""Redemption statistics per offer, and the staff list of the copies handed out."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.rewards.offers.conftest import (
    API,
    NewBooking,
    apply,
    give,
    new_customer,
    new_offer,
)
from tests.security.audit.callers import Caller


async def test_stats_count_copies_by_status_and_the_discount_given(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
    services: tuple[uuid.UUID, uuid.UUID],
) -> None:
    offer_id = await new_offer(db, percent="10", max_uses_total=10)
    bookings = []
    for lines in ((services[0],), services, (services[1],)):  # 40, 100, 60
        customer = await new_customer(db)
        booking_id = await new_booking(customer, *lines)
        applied = await apply(client, admin, await give(db, offer_id, customer), booking_id)
        assert applied.status_code == 200, applied.text
        bookings.append(booking_id)
    cancelled = await client.post(
        f"{API}/bookings/{bookings[2]}/cancel", headers=admin.headers, json={}
    )
    assert cancelled.status_code == 200, cancelled.text
    await give(db, offer_id, await new_customer(db))
    await give(db, offer_id, await new_customer(db), status="expired")
    await give(db, await new_offer(db), await new_customer(db), status="used")  # another offer

    stats = await client.get(f"{API}/offers/{offer_id}/stats", headers=admin.headers)
    assert stats.status_code == 200, stats.text
    assert stats.json() == {
        "offer_id": str(offer_id),
        "uses_count": 2,
        "max_uses_total": 10,
        "handed_out": 5,
        "by_status": {"available": 2, "used": 2, "expired": 1, "revoked": 0},
        "discount_given": [{"currency": "EUR", "amount": "14", "bookings": 2}],
    }
    missing = await client.get(f"{API}/offers/{uuid.uuid4()}/stats", headers=admin.headers)
    assert missing.status_code == 404


async def test_an_offer_nobody_used_has_empty_stats(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    offer_id = await new_offer(db)
    body = (await client.get(f"{API}/offers/{offer_id}/stats", headers=admin.headers)).json()
    assert (body["handed_out"], body["uses_count"], body["discount_given"]) == (0, 0, [])
    assert set(body["by_status"].values()) == {0}


async def test_staff_list_the_copies_by_status_newest_first(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    offer_id = await new_offer(db)
    first = await give(db, offer_id, await new_customer(db))
    used = await give(db, offer_id, await new_customer(db), status="used")
    last = await give(db, offer_id, await new_customer(db))
    url = f"{API}/offers/{offer_id}/customers"
    every = (await client.get(url, headers=admin.headers, params={"limit": 2})).json()
    assert [row["id"] for row in every["items"]] == [str(last), str(used)]
    assert every["next_cursor"] is not None
    available = await client.get(url, headers=admin.headers, params={"status": "available"})
    assert [row["id"] for row in available.json()["items"]] == [str(last), str(first)]
    wrong = await client.get(url, headers=admin.headers, params={"status": "lost"})
    assert wrong.status_code == 422
    missing = await client.get(f"{API}/offers/{uuid.uuid4()}/customers", headers=admin.headers)
    assert missing.status_code == 404
