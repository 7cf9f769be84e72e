"""Earning on ``booking.paid`` and reversing on ``payment.refunded``, through the real
payments API: once per booking however often the event comes, in proportion to the
money refunded, never more than was earned and never below zero."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.db import transaction
from frontdesk.core.events import DomainEvent, bus
from frontdesk.rewards.loyalty.earning import points_for, points_kept
from frontdesk.rewards.loyalty.models import LoyaltyTransaction
from tests.business.payments.support import ok, pay, refund
from tests.rewards.loyalty.conftest import (
    API,
    NewBooking,
    ledger,
    new_customer,
    set_rules,
)
from tests.security.audit.callers import Caller


async def _rows(db: async_sessionmaker[AsyncSession]) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(LoyaltyTransaction)) or 0)


async def _adjust(
    client: httpx.AsyncClient, admin: Caller, customer_id: uuid.UUID, points: int
) -> None:
    url = f"{API}/customers/{customer_id}/points/adjustments"
    body = {"points": points, "reason": "at the desk"}
    response = await client.post(url, headers=admin.headers, json=body)
    assert response.status_code == 201, response.text


async def test_a_paid_booking_earns_points_once(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    await set_rules(db, rate="1.5")
    customer_id = await new_customer(db)
    booking = await new_booking("30.50", customer_id)
    paid = ok(await pay(client, admin, booking, "30.50", key="earn-once"))
    state = await ledger(db, customer_id)
    assert state["rows"] == [("earn", 45)]  # 30.50 x 1.5 = 45.75, rounded down
    row = state["last"]
    assert (row.booking_id, row.actor_user_id, row.balance_after) == (booking, admin.user_id, 45)
    assert (row.amount, row.currency) == (Decimal("30.50"), "EUR")
    assert row.note == "Earned on 30.50 EUR at 1.5 per EUR"
    # A retried request replays the payment: nothing is paid, or earned, twice.
    again = await pay(client, admin, booking, "30.50", key="earn-once")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == paid["id"]
    assert (await ledger(db, customer_id))["rows"] == [("earn", 45)]


async def test_points_come_when_the_booking_is_paid_in_full(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    await set_rules(db, rate="1")
    customer_id = await new_customer(db)
    booking = await new_booking("100.00", customer_id)
    ok(await pay(client, admin, booking, "40"))
    assert (await ledger(db, customer_id))["rows"] == []
    ok(await pay(client, admin, booking, "60"))
    assert (await ledger(db, customer_id))["rows"] == [("earn", 100)]


async def test_a_paid_event_delivered_twice_credits_once(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    published: list[DomainEvent],
) -> None:
    await set_rules(db, rate="2")
    customer_id = await new_customer(db)
    booking = await new_booking("25.00", customer_id)
    ok(await pay(client, admin, booking, "25"))
    [paid_event] = [event for event in published if event.name == "booking.paid"]
    async with transaction(db) as session:  # twice in one transaction...
        await bus.publish(session, paid_event)
        await bus.publish(session, DomainEvent(paid_event.name, dict(paid_event.payload)))
    async with transaction(db) as session:  # ...and again in another
        await bus.publish(session, paid_event)
    state = await ledger(db, customer_id)
    assert state["rows"] == [("earn", 50)]
    assert state["balance"] == state["sum"] == 50


@pytest.mark.parametrize(
    ("rate", "currency", "with_customer"),
    [("0", "EUR", True), ("1", "USD", True), ("1", "EUR", False)],
    ids=["earning-off", "not-the-business-currency", "no-customer"],
)
async def test_nothing_is_earned(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    rate: str,
    currency: str,
    with_customer: bool,
) -> None:
    await set_rules(db, rate=rate)
    customer_id = await new_customer(db) if with_customer else None
    booking = await new_booking("50.00", customer_id, currency=currency)
    ok(await pay(client, admin, booking, "50", currency=currency))
    assert await _rows(db) == 0


async def _paid(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    total: str = "100.00",
) -> tuple[uuid.UUID, str]:
    """A customer whose booking of ``total`` was paid in one payment, at 1 point per EUR."""
    await set_rules(db, rate="1")
    customer_id = await new_customer(db)
    booking = await new_booking(total, customer_id)
    payment = ok(await pay(client, admin, booking, total))
    return customer_id, payment["id"]


async def test_refunds_reverse_in_proportion_and_never_more_than_earned(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    customer_id, payment = await _paid(client, admin, new_booking, db)
    ok(await refund(client, admin, payment, "10.01"))  # keeps floor(89.99) = 89
    ok(await refund(client, admin, payment, "40"))  # keeps floor(49.99) = 49
    state = await ledger(db, customer_id)
    assert state["rows"] == [("earn", 100), ("reversal", -11), ("reversal", -40)]
    row = state["last"]
    assert (row.amount, row.currency, row.note) == (Decimal(40), "EUR", "Refund of 40.00 EUR")
    ok(await refund(client, admin, payment, "49.99"))
    state = await ledger(db, customer_id)
    assert [points for _, points in state["rows"]] == [100, -11, -40, -49]
    assert state["balance"] == state["sum"] == 0


async def test_points_already_spent_are_not_taken_twice(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    customer_id, payment = await _paid(client, admin, new_booking, db)
    await _adjust(client, admin, customer_id, -80)
    ok(await refund(client, admin, payment, "100"))
    state = await ledger(db, customer_id)
    assert state["rows"] == [("earn", 100), ("adjustment", -80), ("reversal", -20)]
    assert state["last"].note == "Refund of 100.00 EUR; 80 points not reversed: already spent"
    assert state["balance"] == state["sum"] == 0


async def test_the_shortfall_stays_owed_by_the_booking(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    """Spent before a refund, credited again before the next: that refund also takes
    what the first could not, and the booking never gives back more than it earned."""
    customer_id, payment = await _paid(client, admin, new_booking, db)
    await _adjust(client, admin, customer_id, -100)
    ok(await refund(client, admin, payment, "30"))  # owes 30; nothing there
    assert (await ledger(db, customer_id))["rows"][-1] == ("adjustment", -100)
    await _adjust(client, admin, customer_id, 80)
    ok(await refund(client, admin, payment, "20"))  # owes 30 + 20
    assert (await ledger(db, customer_id))["rows"][-1] == ("reversal", -50)
    ok(await refund(client, admin, payment, "50"))  # owes 50; 30 there
    state = await ledger(db, customer_id)
    assert state["rows"][-1] == ("reversal", -30)
    assert state["last"].note == "Refund of 50.00 EUR; 20 points not reversed: already spent"
    assert state["balance"] == state["sum"] == 0


async def test_concurrent_payments_of_one_customer_each_earn(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    await set_rules(db, rate="1")
    customer_id = await new_customer(db)
    bookings = [await new_booking("20.00", customer_id) for _ in range(5)]
    responses = await asyncio.gather(*(pay(client, admin, b, "20") for b in bookings))
    assert [r.status_code for r in responses] == [201] * 5, [r.text for r in responses]
    state = await ledger(db, customer_id)
    assert state["rows"] == [("earn", 20)] * 5
    assert state["balance"] == state["sum"] == 100


async def test_paying_again_after_a_refund_earns_nothing_and_reverses_nothing_more(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    customer_id, payment = await _paid(client, admin, new_booking, db)
    ok(await refund(client, admin, payment, "50"))
    second = ok(await pay(client, admin, (await ledger(db, customer_id))["last"].booking_id, "50"))
    ok(await refund(client, admin, second["id"], "50"))  # the net is 50 again: keeps 50
    state = await ledger(db, customer_id)
    assert state["rows"] == [("earn", 100), ("reversal", -50)]


async def test_concurrent_refunds_of_one_booking_reverse_exactly_what_was_earned(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    """Four payments of 25, refunded at once (each refund locks only its own payment):
    the customer's row lock makes each reversal see the others."""
    await set_rules(db, rate="1")
    customer_id = await new_customer(db)
    booking = await new_booking("100.00", customer_id)
    payments = [ok(await pay(client, admin, booking, "25"))["id"] for _ in range(4)]
    responses = await asyncio.gather(*(refund(client, admin, p, "25") for p in payments))
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    state = await ledger(db, customer_id)
    assert sorted(state["rows"]) == [("earn", 100)] + [("reversal", -25)] * 4
    assert state["balance"] == state["sum"] == 0


def test_earning_rounds_down_and_a_booking_keeps_what_its_net_would_earn() -> None:
    assert points_for(Decimal("30.50"), Decimal("1.5")) == 45
    assert points_for(Decimal("0.99"), Decimal(1)) == 0
    assert points_for(Decimal(10), Decimal(0)) == 0
    assert points_kept(100, Decimal("89.99"), Decimal(100)) == 89
    assert points_kept(100, Decimal(150), Decimal(100)) == 100  # paid again: capped
    assert points_kept(100, Decimal(-1), Decimal(100)) == 0


async def test_the_earning_rules_are_business_settings(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    url = f"{API}/settings/business"
    assert (await client.get(url)).json()["points_per_currency_unit"] == "0"
    rules = {"points_per_currency_unit": "2.5", "points_expiry_months": 12}
    changed = await client.patch(url, headers=admin.headers, json=rules)
    assert changed.status_code == 200, changed.text
    body = (await client.get(url)).json()
    assert (body["points_per_currency_unit"], body["points_expiry_months"]) == ("2.5", 12)
    for bad in (
        {"points_per_currency_unit": "-1"},
        {"points_per_currency_unit": "1000.01"},
        {"points_per_currency_unit": "0.00001"},
        {"points_expiry_months": -1},
        {"points_expiry_months": 121},
    ):
        refused = await client.patch(url, headers=admin.headers, json=bad)
        assert refused.status_code == 422, bad
