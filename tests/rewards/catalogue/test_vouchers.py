"""Applying a voucher to an open booking (its discount in the totals and the timeline),
the conditions it checks, giving it back when the booking stops using it, cancelling
and expiring it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.orders import discounts
from frontdesk.business.orders.models import Booking
from frontdesk.core import clock as core_clock
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.errors import error_for_constraint
from frontdesk.rewards.catalogue import vouchers
from frontdesk.rewards.catalogue.models import RewardVoucher
from frontdesk.security.audit.models import AuditLog
from tests.business.payments.support import ok, pay
from tests.rewards.catalogue.conftest import (
    API,
    NewBooking,
    a_product,
    a_service,
    apply,
    ledger,
    make_reward,
    new_customer,
    own_profile,
    stock_of,
    voucher_of,
    voucher_row,
)
from tests.security.audit.callers import Caller, signed_in_again


async def _booking(client: httpx.AsyncClient, caller: Caller, booking_id: Any) -> dict[str, Any]:
    response = await client.get(f"{API}/bookings/{booking_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _timeline(client: httpx.AsyncClient, caller: Caller, booking_id: Any) -> list[Any]:
    response = await client.get(f"{API}/bookings/{booking_id}/events", headers=caller.headers)
    events: list[Any] = response.json()
    return events


def _problem(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json().get("code")


@pytest.mark.parametrize(
    ("reward", "discount"),
    [
        ({"type": "discount_amount", "value": "12.50"}, "12.5"),
        ({"type": "discount_percent", "value": "15"}, "9"),  # 15 % of 60
        ({"type": "free_service", "value": None}, "40"),
        ({"type": "free_product", "value": None}, "10"),
    ],
)
async def test_a_voucher_takes_its_discount_off_an_open_booking(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    open_booking: NewBooking,
    reward: dict[str, Any],
    discount: str,
) -> None:
    cut, balm = await a_service(db), await a_product(db)
    conditions = {"free_service": {"service_id": str(cut)}}.get(reward["type"], {})
    if reward["type"] == "free_product":
        conditions = {"product_id": str(balm)}
    made = await make_reward(client, admin, cost=50, conditions=conditions, **reward)
    customer_id = await new_customer(db, points=50)
    voucher_id = await voucher_of(client, admin, made["id"], customer_id)
    booking_id = await open_booking(
        customer_id, ("service", cut, "40.00", 1), ("product", balm, "10.00", 2)
    )
    response = await apply(client, admin, voucher_id, booking_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["subtotal"], body["discount"], body["currency"]) == ("60", discount, "EUR")
    assert body["voucher"]["status"] == "applied"
    assert body["voucher"]["booking_id"] == str(booking_id)
    booking = await _booking(client, admin, booking_id)
    assert (booking["discount"], booking["discount_source"]) == (discount, "voucher")
    assert booking["discount_reference_id"] == voucher_id
    assert float(booking["total"]) == 60 - float(discount)
    event = (await _timeline(client, admin, booking_id))[-1]
    assert event["event_type"] == "voucher.applied"
    assert (event["event_data"]["reference_id"], event["event_data"]["discount"]) == (
        voucher_id,
        discount,
    )
    row = await voucher_row(db, voucher_id)
    assert (row.status, row.booking_id, row.applied_at) == (
        "applied",
        booking_id,
        core_clock.now(),
    )


async def test_the_conditions_are_checked_against_the_booking(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    open_booking: NewBooking,
) -> None:
    cut, colour, balm = await a_service(db), await a_service(db), await a_product(db)
    conditions = {"service_ids": [str(cut)], "min_booking_total": "50"}
    made = await make_reward(client, admin, cost=10, conditions=conditions)
    customer_id = await new_customer(db, points=100)
    voucher_id = await voucher_of(client, admin, made["id"], customer_id)
    for lines in (
        [("service", colour, "80.00", 1)],  # not the eligible service
        [("service", cut, "40.00", 1), ("product", balm, "9.99", 1)],  # 49.99 < 50
    ):
        booking_id = await open_booking(customer_id, *lines)
        refused = await apply(client, admin, voucher_id, booking_id)
        assert _problem(refused) == (409, "voucher_conditions_not_met"), refused.text
    eligible = await open_booking(
        customer_id, ("service", cut, "40.00", 1), ("service", colour, "80.00", 1)
    )
    applied = await apply(client, admin, voucher_id, eligible)
    assert applied.status_code == 200, applied.text
    assert applied.json()["discount"] == "10"  # off the eligible line only
    assert (await voucher_row(db, voucher_id)).status == "applied"
    async with db() as session:
        booking = await session.get(Booking, eligible)
    assert booking is not None
    assert booking.discount_rule is not None
    assert booking.discount_rule["min_subtotal"] == "50"  # lapses below it (pricing)


async def test_a_voucher_is_refused_where_it_cannot_be_used(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    open_booking: NewBooking,
    clock: FrozenClock,
) -> None:
    cut = await a_service(db)
    made = await make_reward(client, admin, cost=10, conditions={"valid_days": 10})
    customer_id = await new_customer(db, points=100)
    line = ("service", cut, "40.00", 1)
    voucher_id = await voucher_of(client, admin, made["id"], customer_id)
    someone_else = await open_booking(await new_customer(db), line)
    assert _problem(await apply(client, admin, voucher_id, someone_else)) == (
        409,
        "voucher_customer_mismatch",
    )
    completed = await open_booking(customer_id, line, status="completed")
    assert _problem(await apply(client, admin, voucher_id, completed)) == (409, "booking_closed")
    paid = await open_booking(customer_id, line)
    ok(await pay(client, admin, paid, "5.00"))
    assert _problem(await apply(client, admin, voucher_id, paid)) == (409, "booking_has_payments")
    target = await open_booking(customer_id, line)
    assert (await apply(client, admin, voucher_id, target)).status_code == 200
    again = await open_booking(customer_id, line)
    assert _problem(await apply(client, admin, voucher_id, again)) == (409, "voucher_unavailable")
    second = await voucher_of(client, admin, made["id"], customer_id)
    assert _problem(await apply(client, admin, second, target)) == (
        409,
        "discount_already_applied",
    )
    clock.advance(timedelta(days=10))
    admin = await signed_in_again(app, db, admin.user_id)  # the old token has expired
    assert _problem(await apply(client, admin, second, again)) == (409, "voucher_expired")
    assert (await voucher_row(db, second)).status == "issued"
    assert (await apply(client, admin, str(uuid.uuid4()), again)).status_code == 404
    assert (await apply(client, admin, second, uuid.uuid4())).status_code == 404


async def test_a_customer_applies_its_own_vouchers_to_its_own_bookings_only(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    open_booking: NewBooking,
) -> None:
    cut = await a_service(db)
    made = await make_reward(client, admin, cost=10)
    account, mine = await own_profile(app, db, points=30)
    other = await new_customer(db, points=30)
    my_voucher = await voucher_of(client, admin, made["id"], mine)
    their_voucher = await voucher_of(client, admin, made["id"], other)
    my_booking = await open_booking(mine, ("service", cut, "40.00", 1))
    their_booking = await open_booking(other, ("service", cut, "40.00", 1))

    def own_apply(voucher_id: str, booking_id: uuid.UUID) -> Any:
        url = f"{API}/me/customers/{mine}/vouchers/{voucher_id}/apply"
        return client.post(url, headers=account.headers, json={"booking_id": str(booking_id)})

    assert (await own_apply(their_voucher, my_booking)).status_code == 404
    assert (await own_apply(my_voucher, their_booking)).status_code == 404
    elsewhere = f"{API}/me/customers/{other}/vouchers/{their_voucher}/apply"
    body = {"booking_id": str(their_booking)}
    assert (await client.post(elsewhere, headers=account.headers, json=body)).status_code == 404
    assert (await voucher_row(db, their_voucher)).status == "issued"
    done = await own_apply(my_voucher, my_booking)
    assert done.status_code == 200, done.text
    assert done.json()["total"] == "30"
    staff_route = await apply(client, account, my_voucher, my_booking)
    assert staff_route.status_code == 403


async def test_removing_the_discount_gives_the_voucher_back(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    open_booking: NewBooking,
) -> None:
    cut = await a_service(db)
    made = await make_reward(client, admin, cost=10)
    customer_id = await new_customer(db, points=10)
    voucher_id = await voucher_of(client, admin, made["id"], customer_id)
    first = await open_booking(customer_id, ("service", cut, "40.00", 1))
    assert (await apply(client, admin, voucher_id, first)).status_code == 200
    removed = await client.delete(f"{API}/bookings/{first}/discount", headers=admin.headers)
    assert removed.status_code == 200, removed.text
    assert (removed.json()["discount"], removed.json()["total"]) == ("0", "40")
    row = await voucher_row(db, voucher_id)
    assert (row.status, row.booking_id, row.applied_at) == ("issued", None, None)
    assert (await _timeline(client, admin, first))[-1]["event_type"] == "voucher.removed"
    second = await open_booking(customer_id, ("service", cut, "40.00", 1))
    assert (await apply(client, admin, voucher_id, second)).status_code == 200
    assert (await ledger(db, customer_id))["rows"] == [("adjustment", 10), ("redeem", -10)]
    async with db() as session:
        released = await session.scalar(
            select(AuditLog).where(AuditLog.action == "reward_voucher.release")
        )
    assert released is not None
    assert released.details == {"booking_id": str(first), "cause": "booking.discount_removed"}


async def test_cancelling_the_booking_gives_the_voucher_back_completing_it_uses_it(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    open_booking: NewBooking,
) -> None:
    balm = await a_product(db)
    made = await make_reward(client, admin, cost=10)
    customer_id = await new_customer(db, points=20)
    voucher_id = await voucher_of(client, admin, made["id"], customer_id)
    sale = await open_booking(customer_id, ("product", balm, "25.00", 1))
    assert (await apply(client, admin, voucher_id, sale)).status_code == 200
    cancelled = await client.post(f"{API}/bookings/{sale}/cancel", headers=admin.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert (await voucher_row(db, voucher_id)).status == "issued"
    kept = await open_booking(customer_id, ("product", balm, "25.00", 1))
    assert (await apply(client, admin, voucher_id, kept)).status_code == 200
    completed = await client.post(f"{API}/bookings/{kept}/complete", headers=admin.headers)
    assert completed.status_code == 200, completed.text
    row = await voucher_row(db, voucher_id)
    assert (row.status, row.booking_id) == ("applied", kept)


async def test_staff_cancel_an_unused_voucher_and_the_points_and_stock_come_back(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    open_booking: NewBooking,
) -> None:
    made = await make_reward(client, admin, cost=40, stock=1)
    customer_id = await new_customer(db, points=50)
    voucher_id = await voucher_of(client, admin, made["id"], customer_id)
    assert await stock_of(db, made["id"]) == 0
    url = f"{API}/rewards/vouchers/{voucher_id}/cancel"
    response = await client.post(url, headers=admin.headers, json={"reason": "changed mind"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["voucher"]["status"], body["points_refunded"], body["balance"]) == (
        "cancelled",
        40,
        50,
    )
    assert await stock_of(db, made["id"]) == 1
    state = await ledger(db, customer_id)
    assert state["rows"] == [("adjustment", 50), ("redeem", -40), ("refund", 40)]
    assert state["balance"] == state["sum"] == 50
    assert "changed mind" in (state["last"].note or "")
    again = await client.post(url, headers=admin.headers)
    assert _problem(again) == (409, "voucher_unavailable")
    assert (await ledger(db, customer_id))["balance"] == 50
    fresh = await voucher_of(client, admin, made["id"], customer_id)
    for status, expected in (("cancelled", [voucher_id]), ("issued", [fresh])):
        listed = await client.get(
            f"{API}/rewards/vouchers",
            headers=admin.headers,
            params={"customer_id": str(customer_id), "status": status},
        )
        assert [v["id"] for v in listed.json()["items"]] == expected
    everyone = await client.get(f"{API}/rewards/vouchers", headers=admin.headers)
    assert [v["id"] for v in everyone.json()["items"]] == [fresh, voucher_id]
    unknown = await client.get(
        f"{API}/rewards/vouchers", headers=admin.headers, params={"status": "lost"}
    )
    assert unknown.status_code == 422


async def test_the_worker_expires_issued_vouchers_past_their_lifetime_once(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    open_booking: NewBooking,
    clock: FrozenClock,
) -> None:
    cut = await a_service(db)
    short = await make_reward(client, admin, cost=10, conditions={"valid_days": 1})
    forever = await make_reward(client, admin, cost=10)
    customer_id = await new_customer(db, points=30)
    unused = await voucher_of(client, admin, short["id"], customer_id)
    used = await voucher_of(client, admin, short["id"], customer_id)
    kept = await voucher_of(client, admin, forever["id"], customer_id)
    booking = await open_booking(customer_id, ("service", cut, "40.00", 1))
    assert (await apply(client, admin, used, booking)).status_code == 200
    clock.advance(timedelta(hours=23))
    async with transaction(db) as session:
        assert await vouchers.expire_vouchers(session, now=core_clock.now()) == 0
    clock.advance(timedelta(hours=1))
    async with transaction(db) as session:
        assert await vouchers.expire_vouchers(session, now=core_clock.now()) == 1
    async with transaction(db) as session:
        assert await vouchers.expire_vouchers(session, now=core_clock.now()) == 0
    statuses = [(await voucher_row(db, v)).status for v in (unused, used, kept)]
    assert statuses == ["expired", "applied", "issued"]
    assert (await ledger(db, customer_id))["balance"] == 0  # expired points stay spent
    async with db() as session:
        audited = await session.scalar(
            select(AuditLog).where(AuditLog.action == "reward_voucher.expire")
        )
    assert audited is not None
    assert audited.details == {"count": 1, "voucher_ids": [unused]}


async def test_one_voucher_applied_concurrently_to_two_bookings_lands_on_one(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    open_booking: NewBooking,
) -> None:
    cut = await a_service(db)
    made = await make_reward(client, admin, cost=10)
    customer_id = await new_customer(db, points=10)
    voucher_id = await voucher_of(client, admin, made["id"], customer_id)
    bookings = [await open_booking(customer_id, ("service", cut, "40.00", 1)) for _ in range(6)]
    responses = await asyncio.gather(*(apply(client, admin, voucher_id, b) for b in bookings))
    assert sorted(r.status_code for r in responses) == [200] + [409] * 5
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"voucher_unavailable"}
    discounted = [b for b in bookings if (await _booking(client, admin, b))["discount"] != "0"]
    row = await voucher_row(db, voucher_id)
    assert discounted == [row.booking_id]


async def test_the_database_holds_one_applied_voucher_per_booking(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    open_booking: NewBooking,
) -> None:
    """The backstop behind the checks: a second applied voucher on one booking is refused
    by the partial unique index, and the error maps to the discount's own 409."""
    cut = await a_service(db)
    made = await make_reward(client, admin, cost=10)
    customer_id = await new_customer(db, points=20)
    first = await voucher_of(client, admin, made["id"], customer_id)
    second = await voucher_of(client, admin, made["id"], customer_id)
    booking_id = await open_booking(customer_id, ("service", cut, "40.00", 1))
    assert (await apply(client, admin, first, booking_id)).status_code == 200
    with pytest.raises(IntegrityError) as refused:
        async with transaction(db) as session:
            await session.execute(
                update(RewardVoucher)
                .where(RewardVoucher.id == uuid.UUID(second))
                .values(status="applied", booking_id=booking_id)
            )
    mapped = error_for_constraint(str(refused.value.orig))
    assert mapped is discounts.DiscountAlreadyAppliedError
    assert (await voucher_row(db, second)).status == "issued"
