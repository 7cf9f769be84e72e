"""The limits under concurrency, on several real connections: concurrent applications
never exceed ``max_uses_total`` or ``max_uses_per_customer``, and a hand-out racing a
give-back never leaves a customer two available copies."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.orders.lines import Actor
from frontdesk.business.orders.models import Booking
from frontdesk.core import clock as core_clock
from frontdesk.core.db import open_session
from frontdesk.core.errors import AppError
from frontdesk.core.request_context import RequestMeta
from frontdesk.rewards.offers.models import CustomerOffer
from frontdesk.rewards.offers.redemption import apply_offer
from tests.rewards.offers.conftest import (
    API,
    NewBooking,
    apply,
    copies_of,
    give,
    new_customer,
    new_offer,
    offer_row,
)
from tests.security.audit.callers import Caller

NO_META = RequestMeta(ip=None, user_agent=None, request_id=None)


async def _apply_all(
    db: async_sessionmaker[AsyncSession],
    admin: Caller,
    pairs: list[tuple[uuid.UUID, uuid.UUID]],
) -> tuple[list[str], set[int]]:
    """Apply each (copy, booking) in its own transaction on its own pooled connection,
    all released at once; the outcome of each ("applied" or the problem code) and the
    connections used."""
    start_together = asyncio.Event()
    connections: set[int] = set()

    async def one(copy_id: uuid.UUID, booking_id: uuid.UUID) -> str:
        async with open_session(db, write=True) as session:
            await start_together.wait()
            conn = await session.connection()
            connections.add(id((await conn.get_raw_connection()).dbapi_connection))
            try:
                actor = Actor(admin.user_id, core_clock.now(), NO_META)
                await apply_offer(session, copy_id, booking_id, actor=actor)
                await session.commit()
            except AppError as refused:
                await session.rollback()
                return refused.code
            return "applied"

    tasks = [asyncio.create_task(one(*pair)) for pair in pairs]
    await asyncio.sleep(0)
    start_together.set()
    return list(await asyncio.gather(*tasks)), connections


async def _discounted(db: async_sessionmaker[AsyncSession], offer_id: uuid.UUID) -> int:
    of_offer = select(CustomerOffer.id).where(CustomerOffer.offer_id == offer_id)
    async with db() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.customer_offer_id.in_(of_offer), Booking.discount > 0)
        )
    return int(count or 0)


async def test_concurrent_applications_never_exceed_the_total_limit(
    admin: Caller, db: async_sessionmaker[AsyncSession], new_booking: NewBooking
) -> None:
    offer_id = await new_offer(db, max_uses_total=3)
    pairs = []
    for _ in range(8):
        customer = await new_customer(db)
        pairs.append((await give(db, offer_id, customer), await new_booking(customer)))
    outcomes, connections = await _apply_all(db, admin, pairs)
    assert sorted(outcomes) == ["applied"] * 3 + ["offer_exhausted"] * 5
    assert len(connections) > 1, "the applications must run on several real connections"
    assert (await offer_row(db, offer_id)).uses_count == 3
    statuses = [status for each in (await copies_of(db, offer_id)).values() for status in each]
    assert sorted(statuses) == ["available"] * 5 + ["used"] * 3
    assert await _discounted(db, offer_id) == 3


async def test_one_copy_applied_concurrently_to_many_bookings_is_used_once(
    admin: Caller, db: async_sessionmaker[AsyncSession], new_booking: NewBooking
) -> None:
    offer_id = await new_offer(db, max_uses_per_customer=1)
    customer = await new_customer(db)
    copy_id = await give(db, offer_id, customer)
    pairs = [(copy_id, await new_booking(customer)) for _ in range(6)]
    outcomes, _connections = await _apply_all(db, admin, pairs)
    assert sorted(outcomes) == ["applied"] + ["offer_unavailable"] * 5
    assert (await offer_row(db, offer_id)).uses_count == 1
    assert await _discounted(db, offer_id) == 1


async def test_a_hand_out_racing_an_application_respects_the_per_customer_limit(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    offer_id = await new_offer(db, max_uses_per_customer=1)
    customer = await new_customer(db)
    copy_id = await give(db, offer_id, customer)
    booking_id = await new_booking(customer)
    body = {"customer_ids": [str(customer)]}
    url = f"{API}/offers/{offer_id}/customers"
    responses = await asyncio.gather(
        apply(client, admin, copy_id, booking_id),
        *(client.post(url, headers=admin.headers, json=body) for _ in range(4)),
    )
    assert [r.status_code for r in responses] == [200] * 5
    assert all(r.json()["handed_out"] == 0 for r in responses[1:])
    assert await copies_of(db, offer_id) == {customer: ["used"]}


async def test_a_hand_out_racing_a_give_back_leaves_one_available_copy(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    for _ in range(3):
        offer_id = await new_offer(db)
        customer = await new_customer(db)
        copy_id, booking_id = await give(db, offer_id, customer), await new_booking(customer)
        assert (await apply(client, admin, copy_id, booking_id)).status_code == 200
        cancel = client.post(f"{API}/bookings/{booking_id}/cancel", headers=admin.headers, json={})
        hand_out = client.post(
            f"{API}/offers/{offer_id}/customers",
            headers=admin.headers,
            json={"customer_ids": [str(customer)]},
        )
        cancelled, handed = await asyncio.gather(cancel, hand_out)
        assert (cancelled.status_code, handed.status_code) == (200, 200), handed.text
        statuses = (await copies_of(db, offer_id))[customer]
        assert statuses in (["available"], ["revoked", "available"])
        assert (await offer_row(db, offer_id)).uses_count == 0


async def test_concurrent_requests_at_the_desk_stop_at_the_limit(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    offer_id = await new_offer(db, max_uses_total=4)
    pairs = []
    for _ in range(10):
        customer = await new_customer(db)
        pairs.append((await give(db, offer_id, customer), await new_booking(customer)))
    responses = await asyncio.gather(*(apply(client, admin, *pair) for pair in pairs))
    codes = sorted(r.json().get("code", "applied") for r in responses)
    assert codes == ["applied"] * 4 + ["offer_exhausted"] * 6
    assert (await offer_row(db, offer_id)).uses_count == 4
