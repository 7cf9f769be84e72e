"""Paying with points through the real payments API: the ledger moves with the payment
row or not at all, a refund credits the points back, concurrent payments of one customer
never overspend, money paid in points earns no points, and after any sequence of
redemptions, points payments, refunds and cancelled vouchers the balance equals the
ledger's sum (SECURITY.md 18, 21)."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.payments import providers
from frontdesk.business.payments.models import PaymentTransaction
from frontdesk.core import clock as core_clock
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.rewards.loyalty import points_payments
from frontdesk.rewards.loyalty.ledger import check_movement, move_points
from tests.business.payments.support import count, ok, pay, refund
from tests.rewards.loyalty.conftest import (
    API,
    START,
    NewBooking,
    ledger,
    new_customer,
    set_rules,
)
from tests.security.audit.callers import Caller


def _points(
    client: httpx.AsyncClient, caller: Caller, booking: uuid.UUID, amount: str, **fields: Any
) -> Any:
    return pay(client, caller, booking, amount, method="points", **fields)


def test_the_provider_is_registered_once_whatever_the_calls() -> None:
    points_payments.register()
    points_payments.register()  # start-up twice (two apps in one process): harmless
    provider = providers.provider_for("points")
    assert provider is points_payments.POINTS
    assert isinstance(provider, providers.PaymentProvider)
    assert provider.supports_authorization is False


@pytest.mark.parametrize(("reason", "points"), [("payment", 1), ("refund", -1)])
def test_a_payment_only_debits_and_a_refund_only_credits(reason: str, points: int) -> None:
    with pytest.raises(ValueError, match="cannot move"):
        check_movement(reason, points)
    check_movement(reason, -points)


@pytest.mark.parametrize(
    ("amount", "currency", "points"),
    [("12.50", "EUR", 1250), ("0.01", "EUR", 1), ("100", "JPY", 100), ("1.005", "BHD", 1005)],
)
def test_a_point_is_one_minor_unit_of_the_currency(amount: str, currency: str, points: int) -> None:
    assert points_payments.points_for_amount(Decimal(amount), currency) == points


async def test_paying_with_points_debits_the_ledger_with_the_payment(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    customer_id = await new_customer(db, points=5000)
    booking = await new_booking("30.50", customer_id)
    payment = ok(await _points(client, admin, booking, "30.50"))
    assert (payment["method"], payment["status"], payment["amount"]) == (
        "points",
        "captured",
        "30.5",
    )
    state = await ledger(db, customer_id)
    assert state["rows"] == [("adjustment", 5000), ("payment", -3050)]
    assert state["balance"] == state["sum"] == 1950
    row = state["last"]
    assert (row.booking_id, row.amount, row.currency) == (booking, Decimal("30.50"), "EUR")
    assert payment["external_reference"] == f"loyalty_transaction:{row.id}"
    summary = (
        await client.get(f"{API}/bookings/{booking}/payments", headers=admin.headers)
    ).json()["summary"]
    assert (summary["net"], summary["balance_due"]) == ("30.5", "0")


async def test_not_enough_points_leaves_no_payment_and_gives_the_key_back(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    customer_id = await new_customer(db, points=100)
    booking = await new_booking("20.00", customer_id)
    refused = await _points(client, admin, booking, "1.01", key="points-1")
    assert (refused.status_code, refused.json()["code"]) == (409, "insufficient_points")
    assert refused.json()["available"] == 100
    assert await count(db, PaymentTransaction) == 0
    assert (await ledger(db, customer_id))["rows"] == [("adjustment", 100)]
    async with transaction(db) as session:
        await move_points(
            session, customer_id, points=1, reason="adjustment", now=core_clock.now(), actor_id=None
        )
    retried = await _points(client, admin, booking, "1.01", key="points-1")
    assert retried.status_code == 201, retried.text
    assert (await ledger(db, customer_id))["balance"] == 0


async def test_points_pay_only_a_customer_booking_in_the_business_currency_and_never_hold(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    customer_id = await new_customer(db, points=100_000)
    nobody = await new_booking("10.00", None)
    foreign = await new_booking("10.00", customer_id, currency="USD")
    held = await new_booking("10.00", customer_id)
    no_customer = await _points(client, admin, nobody, "10.00")
    assert (no_customer.status_code, no_customer.json()["code"]) == (422, "payment_refused")
    in_dollars = await pay(client, admin, foreign, "10.00", method="points", currency="USD")
    assert (in_dollars.status_code, in_dollars.json()["code"]) == (422, "payment_refused")
    hold = await _points(client, admin, held, "10.00", capture=False)
    assert (hold.status_code, hold.json()["code"]) == (422, "authorization_not_supported")
    huge = await new_booking("10000.01", customer_id)  # 1,000,001 points: past one movement
    too_big = await _points(client, admin, huge, "10000.01")
    assert (too_big.status_code, too_big.json()["code"]) == (422, "payment_refused")
    assert await count(db, PaymentTransaction) == 0
    assert (await ledger(db, customer_id))["balance"] == 100_000
    erased = await client.post(f"{API}/customers/{customer_id}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    gone = await _points(client, admin, held, "10.00")
    assert (gone.status_code, gone.json()["code"]) == (422, "payment_refused")
    assert await count(db, PaymentTransaction) == 0


async def test_a_refund_credits_the_points_back_never_more_than_were_paid(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    customer_id = await new_customer(db, points=3000)
    booking = await new_booking("30.00", customer_id)
    payment = ok(await _points(client, admin, booking, "30.00"))
    ok(await refund(client, admin, payment["id"], "10.00"))
    ok(await refund(client, admin, payment["id"], "19.99"))
    too_much = await refund(client, admin, payment["id"], "0.02")
    assert (too_much.status_code, too_much.json()["code"]) == (409, "refund_exceeds_captured")
    state = await ledger(db, customer_id)
    assert state["rows"] == [
        ("adjustment", 3000),
        ("payment", -3000),
        ("refund", 1000),
        ("refund", 1999),
    ]
    assert state["balance"] == state["sum"] == 2999
    assert (state["last"].booking_id, state["last"].amount) == (booking, Decimal("19.99"))


async def test_money_paid_in_points_earns_no_points_and_its_refund_reverses_none(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    await set_rules(db, rate="1")
    customer_id = await new_customer(db, points=4000)
    booking = await new_booking("100.00", customer_id)
    in_points = ok(await _points(client, admin, booking, "40.00"))
    in_cash = ok(await pay(client, admin, booking, "60.00"))
    state = await ledger(db, customer_id)
    assert state["rows"][-1] == ("earn", 60)  # on the 60.00 in cash only
    assert state["last"].amount == Decimal("60.00")
    ok(await refund(client, admin, in_points["id"], "40.00"))
    assert (await ledger(db, customer_id))["rows"][-1] == ("refund", 4000)  # nothing reversed
    ok(await refund(client, admin, in_cash["id"], "30.00"))
    state = await ledger(db, customer_id)
    assert state["rows"][-1] == ("reversal", -30)  # half the cash: half the points
    assert state["balance"] == state["sum"] == 4000 + 60 - 30


async def test_a_booking_paid_entirely_in_points_earns_nothing(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    await set_rules(db, rate="2")
    customer_id = await new_customer(db, points=5000)
    ok(await _points(client, admin, await new_booking("50.00", customer_id), "50.00"))
    assert [reason for reason, _ in (await ledger(db, customer_id))["rows"]] == [
        "adjustment",
        "payment",
    ]


async def test_ten_concurrent_points_payments_of_one_customer_never_overspend(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    customer_id = await new_customer(db, points=10_000)  # 100.00 EUR of points
    bookings = [await new_booking("30.00", customer_id) for _ in range(10)]
    responses = await asyncio.gather(*(_points(client, admin, b, "30.00") for b in bookings))
    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 7
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_points"}
    assert await count(db, PaymentTransaction) == 3
    state = await ledger(db, customer_id)
    assert state["balance"] == state["sum"] == state["last"].balance_after == 1000


async def test_points_payments_and_adjustments_of_one_customer_at_once_never_deadlock(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    """A payment locks its booking, then (in the hook) the customer; an adjustment writes
    its audit row, then moves points. The hook takes the audit chain before the customer,
    so the two orders agree; the other way round PostgreSQL finds a deadlock."""
    customer_id = await new_customer(db, points=2000)
    bookings = [await new_booking("1.00", customer_id) for _ in range(6)]
    url = f"{API}/customers/{customer_id}/points/adjustments"
    body = {"points": -100, "reason": "desk"}
    responses = await asyncio.gather(
        *(_points(client, admin, b, "1.00") for b in bookings),
        *(client.post(url, headers=admin.headers, json=body) for _ in range(6)),
    )
    assert [r.status_code for r in responses] == [201] * 12
    state = await ledger(db, customer_id)
    assert state["balance"] == state["sum"] == 2000 - 6 * 100 - 6 * 100


# --- any sequence of redemptions, points payments, refunds and cancellations -------------

REWARD_COST = 500
steps = st.lists(
    st.one_of(
        st.tuples(st.just("adjust"), st.integers(-3000, 3000).filter(bool)),
        st.tuples(st.just("redeem"), st.just(0)),
        st.tuples(st.just("pay"), st.integers(1, 5000)),
        st.tuples(st.just("refund"), st.integers(1, 5000)),
        st.tuples(st.just("cancel"), st.integers(0, 10)),
    ),
    max_size=12,
)


class Model:
    """What the balance must be: the points, the refundable part of each points payment
    (minor units), and the vouchers still issued."""

    def __init__(self, opening: int) -> None:
        self.balance = opening
        self.payments: list[tuple[str, int]] = []
        self.vouchers: list[str] = []


async def _step(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    ids: tuple[uuid.UUID, str],
    model: Model,
    step: tuple[str, int],
) -> None:
    customer_id, reward_id = ids
    kind, n = step
    enough = model.balance >= abs(n)
    if kind == "adjust":
        async with transaction(db) as session:
            if n < 0 and not enough:
                return
            await move_points(
                session,
                customer_id,
                points=n,
                reason="adjustment",
                now=core_clock.now(),
                actor_id=None,
            )
        model.balance += n
    elif kind == "redeem":
        url = f"{API}/rewards/{reward_id}/redeem"
        response = await client.post(
            url, headers=admin.headers, json={"customer_id": str(customer_id)}
        )
        assert response.status_code == (201 if model.balance >= REWARD_COST else 409), response.text
        if response.is_success:
            model.balance -= REWARD_COST
            model.vouchers.append(response.json()["voucher"]["id"])
    elif kind == "pay":
        amount = str(Decimal(n).scaleb(-2))
        response = await _points(client, admin, await new_booking(amount, customer_id), amount)
        assert response.status_code == (201 if enough else 409), response.text
        if response.is_success:
            model.balance -= n
            model.payments.append((response.json()["id"], n))
    elif kind == "refund" and model.payments:
        payment_id, left = model.payments.pop(0)
        taken = min(n, left)
        ok(await refund(client, admin, payment_id, str(Decimal(taken).scaleb(-2))))
        model.balance += taken
        if left > taken:
            model.payments.append((payment_id, left - taken))
    elif kind == "cancel" and model.vouchers:
        voucher_id = model.vouchers.pop(n % len(model.vouchers))
        url = f"{API}/rewards/vouchers/{voucher_id}/cancel"
        ok(await client.post(url, headers=admin.headers), 200)
        model.balance += REWARD_COST
    event(kind)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(opening=st.integers(0, 6000), sequence=steps)
async def test_any_sequence_keeps_the_balance_equal_to_the_ledger_and_never_negative(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    opening: int,
    sequence: list[tuple[str, int]],
) -> None:
    clock.set(START)
    conditions = {"points_cost": REWARD_COST}
    body = {"name": "R", "type": "discount_percent", "value": "10", "conditions": conditions}
    reward = ok(await client.post(f"{API}/rewards", headers=admin.headers, json=body))
    ids = (await new_customer(db, points=opening), reward["id"])
    model = Model(opening)
    for step in sequence:
        await _step(client, admin, new_booking, db, ids, model, step)
        state = await ledger(db, ids[0])
        assert state["balance"] == state["sum"] == model.balance >= 0
        assert state["last"] is None or state["last"].balance_after == model.balance
