"""The refund rule: a full refund of the qualifying booking within the window cancels the
referral and takes both credits back, as far as the balances go; anything else leaves
it standing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.events import DomainEvent, bus
from frontdesk.security.audit.models import AuditLog
from tests.business.payments.support import ok, pay, refund
from tests.events import listening
from tests.rewards.loyalty.conftest import ledger
from tests.rewards.loyalty.conftest import set_rules as set_earning
from tests.rewards.referrals.conftest import (
    API,
    new_booking,
    new_customer,
    referrals,
    set_rules,
)
from tests.security.audit.callers import Caller, signed_in_again

REVERSED = "Referral cancelled: first booking refunded"


async def _completed(
    client: httpx.AsyncClient,
    desk: Caller,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    *,
    points: int = 40,
    window_days: int = 14,
) -> dict[str, Any]:
    """A referral completed by Bo's first booking (100 EUR in two payments of 50)."""
    await set_rules(db, points=points, window_days=window_days)
    ada = await new_customer(client, desk, "Ada")
    bo = await new_customer(client, desk, "Bo", referred_by=ada["referral_code"])
    booking = await new_booking(db, admin, bo["id"], "100.00")
    payments = [ok(await pay(client, admin, booking, "50"))["id"] for _ in range(2)]
    assert (await referrals(db))[0].status == "completed"
    return {
        "ada": uuid.UUID(ada["id"]),
        "bo": uuid.UUID(bo["id"]),
        "booking": booking,
        "payments": payments,
    }


async def _later(
    app: FastAPI,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    caller: Caller,
    delta: timedelta,
) -> Caller:
    """``delta`` later, the caller signed in again (tokens live an hour)."""
    clock.advance(delta)
    return await signed_in_again(app, db, caller.user_id)


async def _adjust(
    client: httpx.AsyncClient, admin: Caller, customer: uuid.UUID, points: int
) -> None:
    response = await client.post(
        f"{API}/customers/{customer}/points/adjustments",
        headers=admin.headers,
        json={"points": points, "reason": "at the desk"},
    )
    assert response.status_code == 201, response.text


async def test_a_full_refund_within_the_window_cancels_and_reverses_both(
    app: FastAPI,
    client: httpx.AsyncClient,
    desk: Caller,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    made = await _completed(client, desk, admin, db)
    admin = await _later(app, db, clock, admin, timedelta(days=13, hours=23))
    ok(await refund(client, admin, made["payments"][0], "50"))
    assert (await referrals(db))[0].status == "completed"  # half is still paid for
    ok(await refund(client, admin, made["payments"][1], "50"))
    [referral] = await referrals(db)
    assert referral.status == "cancelled"
    for customer in (made["ada"], made["bo"]):
        state = await ledger(db, customer)
        assert state["rows"] == [("referral", 40), ("reversal", -40)]
        row = state["last"]
        assert (row.referral_id, row.booking_id, row.note) == (referral.id, None, REVERSED)
        assert state["balance"] == state["sum"] == 0
    async with db() as session:
        audited = await session.scalar(select(AuditLog).where(AuditLog.action == "referral.cancel"))
    assert audited is not None
    assert audited.details is not None
    assert audited.details["reversed"] == {str(made["ada"]): 40, str(made["bo"]): 40}


@pytest.mark.parametrize(
    ("window_days", "days_later"),
    [(14, 14), (14, 30), (0, 0)],
    ids=["at-the-end-of-the-window", "long-after", "window-off"],
)
async def test_a_refund_outside_the_window_leaves_the_referral(
    app: FastAPI,
    client: httpx.AsyncClient,
    desk: Caller,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    window_days: int,
    days_later: int,
) -> None:
    made = await _completed(client, desk, admin, db, window_days=window_days)
    admin = await _later(app, db, clock, admin, timedelta(days=days_later))
    for payment in made["payments"]:
        ok(await refund(client, admin, payment, "50"))
    assert (await referrals(db))[0].status == "completed"
    assert (await ledger(db, made["ada"]))["rows"] == [("referral", 40)]


async def test_points_already_spent_are_not_taken_twice(
    client: httpx.AsyncClient, desk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    made = await _completed(client, desk, admin, db)
    await _adjust(client, admin, made["ada"], -30)
    await _adjust(client, admin, made["bo"], -40)
    for payment in made["payments"]:
        ok(await refund(client, admin, payment, "50"))
    ada = await ledger(db, made["ada"])
    assert ada["rows"][-1] == ("reversal", -10)
    assert ada["last"].note == f"{REVERSED}; 30 points not reversed: already spent"
    bo = await ledger(db, made["bo"])
    assert bo["rows"][-1] == ("adjustment", -40)  # nothing left: no row
    assert ada["balance"] == ada["sum"] == bo["balance"] == bo["sum"] == 0
    assert (await referrals(db))[0].status == "cancelled"


async def test_a_refund_event_delivered_twice_reverses_once(
    client: httpx.AsyncClient, desk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    made = await _completed(client, desk, admin, db)
    with listening("payment.refunded") as published:
        for payment in made["payments"]:
            ok(await refund(client, admin, payment, "50"))
    last = published[-1]
    async with transaction(db) as session:
        await bus.publish(session, DomainEvent(last.name, dict(last.payload)))
    for customer in (made["ada"], made["bo"]):
        assert (await ledger(db, customer))["rows"] == [("referral", 40), ("reversal", -40)]


async def test_the_bookings_earned_points_are_reversed_apart_from_the_referral(
    client: httpx.AsyncClient, desk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    """Each rule takes back its own credit: the booking's earned points in proportion
    to the refunds, the referral's in full when nothing is left paid."""
    await set_earning(db, rate="1")
    made = await _completed(client, desk, admin, db, points=15)
    ok(await refund(client, admin, made["payments"][0], "50"))
    ok(await refund(client, admin, made["payments"][1], "50"))
    state = await ledger(db, made["bo"])
    assert state["rows"] == [
        ("earn", 100),
        ("referral", 15),
        ("reversal", -50),
        ("reversal", -50),
        ("reversal", -15),
    ]
    assert state["balance"] == state["sum"] == 0


async def test_a_refund_of_another_booking_changes_nothing(
    client: httpx.AsyncClient, desk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    made = await _completed(client, desk, admin, db)
    other = await new_booking(db, admin, made["bo"], "10.00")
    payment = ok(await pay(client, admin, other, "10"))
    ok(await refund(client, admin, payment["id"], "10"))
    assert (await referrals(db))[0].status == "completed"
    assert (await ledger(db, made["ada"]))["rows"] == [("referral", 40)]
