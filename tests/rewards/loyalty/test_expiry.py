"""Points expire through the worker, oldest first: what is left of credits older than
``points_expiry_months`` goes, spent points never do, and a second pass (or a second
worker) expires nothing more. The clock is injected; nothing sleeps."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core import clock as core_clock
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.outbox import OutboxDispatcher
from frontdesk.core.outbox_models import OutboxMessage
from frontdesk.rewards.loyalty.expiry import months_before
from frontdesk.rewards.loyalty.ledger import move_points
from frontdesk.worker import PassReport, Worker
from tests.rewards.loyalty.conftest import START, ledger, new_customer, points_of, set_rules
from tests.security.audit.callers import Caller, signed_in_again


class NoMail:
    async def send(self, message: OutboxMessage) -> None:
        raise AssertionError("no email expected")


def _worker(db: async_sessionmaker[AsyncSession], every: timedelta = timedelta(0)) -> Worker:
    return Worker(db, OutboxDispatcher(db, NoMail(), poll_seconds=None), expiry_every=every)


async def _move(
    db: async_sessionmaker[AsyncSession], customer_id: uuid.UUID, reason: str, points: int
) -> None:
    async with transaction(db) as session:
        await move_points(
            session, customer_id, points=points, reason=reason, now=core_clock.now(), actor_id=None
        )


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2027, 3, 31, 10, tzinfo=UTC), 1, datetime(2027, 2, 28, 10, tzinfo=UTC)),
        (datetime(2028, 3, 31, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2027, 1, 15, tzinfo=UTC), 12, datetime(2026, 1, 15, tzinfo=UTC)),
        (datetime(2027, 1, 15, tzinfo=UTC), 2, datetime(2026, 11, 15, tzinfo=UTC)),
        (datetime(2026, 11, 30, tzinfo=UTC), -3, datetime(2027, 2, 28, tzinfo=UTC)),
    ],
)
def test_calendar_months_clamp_the_day(moment: datetime, months: int, expected: datetime) -> None:
    assert months_before(moment, months) == expected


async def test_the_worker_expires_unspent_points_oldest_first(
    app: FastAPI,
    db: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    admin: Caller,
    clock: FrozenClock,
) -> None:
    await set_rules(db, rate="1", expiry_months=12)
    customer_id = await new_customer(db)
    await _move(db, customer_id, "earn", 100)  # START: the oldest points
    clock.advance(timedelta(days=60))
    await _move(db, customer_id, "earn", 50)
    clock.advance(timedelta(days=30))
    await _move(db, customer_id, "redeem", -120)  # all of the first 100, 20 of the 50
    clock.advance(timedelta(days=90))
    await _move(db, customer_id, "adjustment", 40)
    worker = _worker(db)

    clock.set(START + timedelta(days=366))  # the first credit is old, and all spent
    assert await worker.run_once() == PassReport(0, 0, points_expired=0)
    staff = await signed_in_again(app, db, admin.user_id)  # a year later: a new token
    shown = (await points_of(client, staff, customer_id)).json()
    second_credit = START + timedelta(days=60)
    assert shown["next_expiry"]["points"] == 30  # what is left of it
    assert datetime.fromisoformat(shown["next_expiry"]["expires_at"]) == second_credit.replace(
        year=2028
    )

    clock.set(START + timedelta(days=60 + 366))  # the 30 left of the second credit go
    assert await worker.run_once() == PassReport(0, 0, points_expired=30)
    assert await worker.run_once() == PassReport(0, 0, points_expired=0)  # nothing twice
    state = await ledger(db, customer_id)
    assert state["rows"][-1] == ("expiry", -30)
    assert (state["last"].actor_user_id, state["last"].booking_id) == (None, None)
    assert state["last"].note == "Unspent points credited on or before 2027-01-28 12:00 UTC"
    assert state["balance"] == state["sum"] == 40  # the newest credit is still young

    clock.set(START + timedelta(days=180 + 366))
    assert (await worker.run_once()).points_expired == 40
    assert (await ledger(db, customer_id))["balance"] == 0
    staff = await signed_in_again(app, db, admin.user_id)
    assert (await points_of(client, staff, customer_id)).json()["next_expiry"] is None


async def test_points_never_expire_when_the_setting_is_zero(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    await set_rules(db, rate="1", expiry_months=0)
    customer_id = await new_customer(db, points=70)
    clock.advance(timedelta(days=3650))
    assert (await _worker(db).run_once()).points_expired == 0
    assert (await ledger(db, customer_id))["balance"] == 70


async def test_the_worker_looks_at_points_at_most_once_per_interval(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    await set_rules(db, rate="1", expiry_months=1)
    customer_id = await new_customer(db, points=10)
    worker = _worker(db, every=timedelta(hours=1))
    clock.set(START + timedelta(days=40))
    assert (await worker.run_once()).points_expired == 10
    clock.set(START)
    await _move(db, customer_id, "adjustment", 5)  # credited long ago: due at once
    clock.set(START + timedelta(days=40, minutes=10))
    assert (await worker.run_once()).points_expired == 0  # not looked at yet
    clock.advance(timedelta(hours=1))
    assert (await worker.run_once()).points_expired == 5


async def test_a_shorter_rule_applies_to_every_point(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    await set_rules(db, rate="1", expiry_months=12)
    customer_id = await new_customer(db, points=10)
    clock.advance(timedelta(days=40))
    assert (await _worker(db).run_once()).points_expired == 0
    await set_rules(db, rate="1", expiry_months=1)
    assert (await _worker(db).run_once()).points_expired == 10
    assert (await ledger(db, customer_id))["rows"] == [("adjustment", 10), ("expiry", -10)]


async def test_two_workers_expire_many_customers_once(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    """More customers than a batch, two workers at once: each customer's points expire
    exactly once (busy rows are skipped, and the due amount is read under the lock)."""
    await set_rules(db, rate="1", expiry_months=1)
    customers = [await new_customer(db, points=n + 1) for n in range(150)]
    clock.advance(timedelta(days=40))
    reports = await asyncio.gather(_worker(db).run_once(), _worker(db).run_once())
    leftovers = (await _worker(db).run_once()).points_expired  # anything skipped as busy
    assert sum(r.points_expired for r in reports) + leftovers == sum(range(1, 151))
    for customer_id in customers:
        state = await ledger(db, customer_id)
        assert state["balance"] == state["sum"] == 0
        assert [reason for reason, _ in state["rows"]] == ["adjustment", "expiry"]
