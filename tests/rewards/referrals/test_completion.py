"""Completing referrals on the referred customer's first paid booking: both sides are
credited once, however often (or however concurrently) ``booking.paid`` arrives."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import open_session, transaction
from frontdesk.core.events import DomainEvent, bus
from frontdesk.rewards.loyalty.models import LoyaltyTransaction
from frontdesk.rewards.referrals import handlers
from frontdesk.security.audit.models import AuditLog
from tests.business.payments.support import ok, pay
from tests.events import listening
from tests.rewards.loyalty.conftest import START, ledger
from tests.rewards.loyalty.conftest import set_rules as set_earning
from tests.rewards.referrals.conftest import (
    API,
    new_booking,
    new_customer,
    referrals,
    referrals_deaf,
    set_rules,
)
from tests.security.audit.callers import Caller


async def _pair(client: httpx.AsyncClient, desk: Caller) -> tuple[uuid.UUID, uuid.UUID]:
    """A referrer and the customer they referred (pending)."""
    ada = await new_customer(client, desk, "Ada")
    bo = await new_customer(client, desk, "Bo", referred_by=ada["referral_code"])
    return uuid.UUID(ada["id"]), uuid.UUID(bo["id"])


async def _referral_rows(db: async_sessionmaker[AsyncSession]) -> int:
    async with db() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(LoyaltyTransaction)
            .where(LoyaltyTransaction.referral_id.is_not(None))
        )
    return int(count or 0)


async def test_the_first_paid_booking_credits_both_sides_and_completes(
    client: httpx.AsyncClient, desk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    await set_rules(db, points=50)
    ada, bo = await _pair(client, desk)
    booking = await new_booking(db, admin, bo, "40.00")
    ok(await pay(client, admin, booking, "15"))
    assert (await referrals(db))[0].status == "pending"  # paid in part: not yet
    ok(await pay(client, admin, booking, "25"))
    [referral] = await referrals(db)
    assert (referral.status, referral.reward_points, referral.completed_at) == (
        "completed",
        50,
        START,
    )
    for customer_id in (ada, bo):
        state = await ledger(db, customer_id)
        assert state["rows"] == [("referral", 50)]
        row = state["last"]
        assert (row.referral_id, row.booking_id, row.actor_user_id) == (
            referral.id,
            booking,
            admin.user_id,
        )
        assert state["balance"] == state["sum"] == 50
    async with db() as session:
        audited = await session.scalar(
            select(AuditLog).where(AuditLog.action == "referral.complete")
        )
    assert audited is not None
    assert audited.details is not None
    assert audited.details["credited"] == {"referrer": 50, "referred": 50}
    # The next booking of the referred customer changes nothing.
    second = await new_booking(db, admin, bo, "10.00")
    ok(await pay(client, admin, second, "10"))
    assert await _referral_rows(db) == 2


async def test_a_paid_event_delivered_twice_credits_once(
    client: httpx.AsyncClient, desk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    await set_rules(db, points=30)
    ada, bo = await _pair(client, desk)
    booking = await new_booking(db, admin, bo, "20.00")
    with listening("booking.paid") as published:
        ok(await pay(client, admin, booking, "20"))
    [paid] = published
    async with transaction(db) as session:  # twice in one transaction...
        await bus.publish(session, paid)
        await bus.publish(session, DomainEvent(paid.name, dict(paid.payload)))
    async with transaction(db) as session:  # ...and again in another
        await bus.publish(session, paid)
    assert await _referral_rows(db) == 2
    for customer_id in (ada, bo):
        state = await ledger(db, customer_id)
        assert state["rows"] == [("referral", 30)]
        assert state["balance"] == state["sum"] == 30


async def test_two_concurrent_deliveries_credit_once(
    client: httpx.AsyncClient,
    desk: Caller,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    """The event is delivered by two transactions on two real connections at once: the
    referral's row lock and its status let exactly one of them credit."""
    await set_rules(db, points=25)
    ada, bo = await _pair(client, desk)
    booking = await new_booking(db, admin, bo, "20.00")
    with referrals_deaf(), listening("booking.paid") as published:
        ok(await pay(client, admin, booking, "20"))
    [paid] = published
    assert (await referrals(db))[0].status == "pending"
    start_together = asyncio.Event()
    connections: set[int] = set()

    async def deliver() -> None:
        async with open_session(db, write=True) as session:
            await start_together.wait()
            conn = await session.connection()
            connections.add(id((await conn.get_raw_connection()).dbapi_connection))
            # The handler alone: other domains' handlers of the event take locks of
            # their own, which would serialize the two before they reach this one.
            await handlers.on_booking_paid(session, paid)
            await session.commit()

    tasks = [asyncio.create_task(deliver()) for _ in range(2)]
    await asyncio.sleep(0)
    start_together.set()
    await asyncio.gather(*tasks)
    assert len(connections) == 2, "the deliveries must run on two real connections"
    [referral] = await referrals(db)
    assert referral.status == "completed"
    for customer_id in (ada, bo):
        state = await ledger(db, customer_id)
        assert state["rows"] == [("referral", 25)]
        assert state["balance"] == state["sum"] == 25


async def test_with_rewards_off_the_referral_completes_without_points(
    client: httpx.AsyncClient, desk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    _ada, bo = await _pair(client, desk)  # referral_reward_points is 0 by default
    booking = await new_booking(db, admin, bo, "20.00")
    ok(await pay(client, admin, booking, "20"))
    [referral] = await referrals(db)
    assert (referral.status, referral.reward_points) == ("completed", 0)
    assert await _referral_rows(db) == 0


async def test_earned_points_and_referral_points_are_separate_rows(
    client: httpx.AsyncClient, desk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    await set_rules(db, points=10)
    await set_earning(db, rate="1")
    _ada, bo = await _pair(client, desk)
    booking = await new_booking(db, admin, bo, "30.00")
    ok(await pay(client, admin, booking, "30"))
    state = await ledger(db, bo)
    assert sorted(state["rows"]) == [("earn", 30), ("referral", 10)]
    assert state["balance"] == state["sum"] == 40


async def test_an_erased_side_is_not_credited(
    client: httpx.AsyncClient, desk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    await set_rules(db, points=20)
    ada, bo = await _pair(client, desk)
    erased = await client.post(f"{API}/customers/{ada}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    booking = await new_booking(db, admin, bo, "20.00")
    ok(await pay(client, admin, booking, "20"))
    [referral] = await referrals(db)
    assert referral.status == "completed"
    assert (await ledger(db, ada))["rows"] == []
    assert (await ledger(db, bo))["rows"] == [("referral", 20)]


async def test_a_sale_without_a_customer_or_referral_changes_nothing(
    client: httpx.AsyncClient, desk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    await set_rules(db, points=20)
    lone = await new_customer(client, desk, "Lone")
    booking = await new_booking(db, admin, lone["id"], "20.00")
    ok(await pay(client, admin, booking, "20"))
    assert await _referral_rows(db) == 0
    assert await referrals(db) == []
