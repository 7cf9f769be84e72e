"""Applying an offer to a booking: the discount is recorded and the copy used; every rule
refuses with its own problem code and leaves everything as it was; the server's clock,
not the caller, decides the window; customers apply only their own offers."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.orders.models import OrderEvent
from frontdesk.core.clock import FrozenClock
from frontdesk.security.audit.models import AuditLog
from tests.business.payments.support import ok, pay
from tests.rewards.offers.conftest import (
    API,
    START,
    NewBooking,
    apply,
    booking_row,
    copy_row,
    give,
    new_customer,
    new_offer,
    offer_row,
    problem,
)
from tests.security.audit.callers import Caller, signed_in, signed_in_again


async def _unchanged(
    db: async_sessionmaker[AsyncSession],
    offer_id: uuid.UUID,
    copy_id: uuid.UUID,
    booking_id: uuid.UUID,
) -> None:
    """A refused application changed nothing: no use counted, copy and booking as before."""
    assert (await offer_row(db, offer_id)).uses_count == 0
    copy = await copy_row(db, copy_id)
    assert (copy.status, copy.used_at, copy.booking_id) == ("available", None, None)
    booking = await booking_row(db, booking_id)
    assert (booking.discount, booking.discount_source, booking.customer_offer_id) == (
        Decimal(0),
        None,
        None,
    )


async def test_an_applied_offer_discounts_the_booking_and_is_used(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
    services: tuple[uuid.UUID, uuid.UUID],
) -> None:
    offer_id = await new_offer(db, percent="12.5")
    customer = await new_customer(db)
    copy_id = await give(db, offer_id, customer)
    booking_id = await new_booking(customer, *services)  # 40 + 60
    applied = await apply(client, admin, copy_id, booking_id)
    assert applied.status_code == 200, applied.text
    body = applied.json()
    assert (body["discount"], body["subtotal"], body["total"], body["currency"]) == (
        "12.5",
        "100",
        "87.5",
        "EUR",
    )
    assert body["customer_offer"]["status"] == "used"
    assert body["customer_offer"]["booking_id"] == str(booking_id)
    copy = await copy_row(db, copy_id)
    assert (copy.status, copy.used_at, copy.booking_id) == ("used", START, booking_id)
    booking = await booking_row(db, booking_id)
    assert (booking.discount, booking.total) == (Decimal("12.5"), Decimal("87.5"))
    assert (booking.discount_source, booking.discount_reference_id) == ("offer", copy_id)
    assert booking.customer_offer_id == copy_id
    assert (await offer_row(db, offer_id)).uses_count == 1
    async with db() as session:
        timeline = await session.scalar(
            select(OrderEvent.event_type).where(OrderEvent.order_id == booking_id)
        )
        redeemed = await session.scalar(select(AuditLog).where(AuditLog.action == "offer.redeem"))
    assert timeline == "offer.applied"
    assert redeemed is not None
    assert redeemed.resource == f"customer_offer:{copy_id}"
    assert redeemed.details == {
        "offer_id": str(offer_id),
        "booking_id": str(booking_id),
        "discount": "12.50",
        "currency": "EUR",
    }


async def test_an_offer_for_some_services_discounts_only_their_lines(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
    services: tuple[uuid.UUID, uuid.UUID],
) -> None:
    cut, colour = services
    offer_id = await new_offer(db, percent="50", conditions={"service_ids": [str(colour)]})
    customer = await new_customer(db)
    booking_id = await new_booking(customer, cut, colour)
    applied = await apply(client, admin, await give(db, offer_id, customer), booking_id)
    assert applied.status_code == 200, applied.text
    assert (applied.json()["discount"], applied.json()["total"]) == ("30", "70")


async def test_the_window_is_the_server_clocks(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
    clock: FrozenClock,
) -> None:
    opens, closes = START + timedelta(days=1), START + timedelta(days=2)
    offer_id = await new_offer(db, starts=opens, ends=closes)
    customer = await new_customer(db)
    copy_id = await give(db, offer_id, customer)
    booking_id = await new_booking(customer)
    early = await apply(client, admin, copy_id, booking_id)
    assert problem(early) == (409, "offer_not_started")
    assert early.json()["valid_from"] == opens.isoformat()
    clock.set(closes)  # the end is exclusive
    admin = await signed_in_again(app, db, admin.user_id)  # a token of the new day
    late = await apply(client, admin, copy_id, booking_id)
    assert problem(late) == (409, "offer_expired")
    await _unchanged(db, offer_id, copy_id, booking_id)
    clock.set(closes - timedelta(microseconds=1))
    assert (await apply(client, admin, copy_id, booking_id)).status_code == 200


@pytest.mark.parametrize(
    ("conditions", "unmet"),
    [
        ({"service_ids": ["colour"]}, ["service_ids"]),
        ({"min_total": "40.01"}, ["min_total"]),
        ({"customer_tags": ["vip"]}, ["customer_tags"]),
        ({"min_total": "100", "customer_tags": ["vip", "gold"]}, ["min_total", "customer_tags"]),
    ],
)
async def test_unmet_conditions_are_named_and_refused(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
    services: tuple[uuid.UUID, uuid.UUID],
    conditions: dict[str, list[str] | str],
    unmet: list[str],
) -> None:
    if "service_ids" in conditions:
        conditions = {"service_ids": [str(services[1])]}
    offer_id = await new_offer(db, conditions=conditions)
    customer = await new_customer(db, tags=["regular"])
    copy_id = await give(db, offer_id, customer)
    booking_id = await new_booking(customer)  # the cut alone: 40.00
    refused = await apply(client, admin, copy_id, booking_id)
    assert problem(refused) == (409, "offer_conditions_not_met")
    assert refused.json()["unmet"] == unmet
    await _unchanged(db, offer_id, copy_id, booking_id)


async def test_met_conditions_apply(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    conditions = {"min_total": "40", "customer_tags": ["gold", "vip"]}
    offer_id = await new_offer(db, conditions=conditions)
    customer = await new_customer(db, tags=["vip"])
    booking_id = await new_booking(customer)
    applied = await apply(client, admin, await give(db, offer_id, customer), booking_id)
    assert applied.status_code == 200, applied.text
    assert applied.json()["discount"] == "4"
    # The minimum stays with the discount: it lapses if lines are taken off below it.
    rule = (await booking_row(db, booking_id)).discount_rule
    assert rule is not None
    assert rule["min_subtotal"] == "40"


async def test_a_minimum_total_is_not_met_by_a_booking_in_another_currency(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    offer_id = await new_offer(db, conditions={"min_total": "1"})
    customer = await new_customer(db)
    booking_id = await new_booking(customer, currency="USD")
    refused = await apply(client, admin, await give(db, offer_id, customer), booking_id)
    assert problem(refused) == (409, "offer_conditions_not_met")


async def test_an_inactive_offer_or_a_used_copy_is_refused(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    customer = await new_customer(db)
    inactive = await new_offer(db, is_active=False)
    copy_id = await give(db, inactive, customer)
    booking_id = await new_booking(customer)
    assert problem(await apply(client, admin, copy_id, booking_id)) == (409, "offer_inactive")
    await _unchanged(db, inactive, copy_id, booking_id)
    offer_id = await new_offer(db)
    for status in ("used", "expired", "revoked"):
        other = await give(db, offer_id, customer, status=status)
        refused = await apply(client, admin, other, booking_id)
        assert problem(refused) == (409, "offer_unavailable")
        assert refused.json()["status"] == status


async def test_a_copy_applies_only_to_its_customers_booking(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    offer_id = await new_offer(db)
    ada, bob = await new_customer(db), await new_customer(db)
    copy_id = await give(db, offer_id, ada)
    for booking_id in (await new_booking(bob), await new_booking(None)):
        refused = await apply(client, admin, copy_id, booking_id)
        assert problem(refused) == (409, "offer_customer_mismatch")
        await _unchanged(db, offer_id, copy_id, booking_id)
    assert (await apply(client, admin, uuid.uuid4(), await new_booking(ada))).status_code == 404
    assert (await apply(client, admin, copy_id, uuid.uuid4())).status_code == 404


async def test_the_total_limit_refuses_the_use_past_it(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    offer_id = await new_offer(db, max_uses_total=1)
    ada, bob = await new_customer(db), await new_customer(db)
    ok(await apply(client, admin, await give(db, offer_id, ada), await new_booking(ada)), 200)
    copy_id, booking_id = await give(db, offer_id, bob), await new_booking(bob)
    refused = await apply(client, admin, copy_id, booking_id)
    assert problem(refused) == (409, "offer_exhausted")
    assert refused.json()["limit"] == 1
    assert (await offer_row(db, offer_id)).uses_count == 1
    assert (await copy_row(db, copy_id)).status == "available"


async def test_the_per_customer_limit_refuses_the_use_past_it(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    offer_id = await new_offer(db, max_uses_per_customer=1)
    customer = await new_customer(db)
    await give(db, offer_id, customer, status="used")
    copy_id, booking_id = await give(db, offer_id, customer), await new_booking(customer)
    refused = await apply(client, admin, copy_id, booking_id)
    assert problem(refused) == (409, "offer_customer_limit")
    await _unchanged(db, offer_id, copy_id, booking_id)


async def test_one_discount_per_booking_and_none_once_money_moved_or_closed(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    customer = await new_customer(db)
    first, second = await new_offer(db), await new_offer(db, percent="20")
    booking_id = await new_booking(customer)
    ok(await apply(client, admin, await give(db, first, customer), booking_id), 200)
    copy_id = await give(db, second, customer)
    stacked = await apply(client, admin, copy_id, booking_id)
    assert problem(stacked) == (409, "discount_already_applied")
    paid = await new_booking(customer)
    ok(await pay(client, admin, paid, "10.00"))
    assert problem(await apply(client, admin, copy_id, paid)) == (409, "booking_has_payments")
    closed = await new_booking(customer, status="completed")
    assert problem(await apply(client, admin, copy_id, closed)) == (409, "booking_closed")
    await _unchanged(db, second, copy_id, closed)


async def _own_profile(client: httpx.AsyncClient, account: Caller) -> uuid.UUID:
    made = await client.post(f"{API}/me/customers", headers=account.headers, json={"name": "Me"})
    assert made.status_code == 201, made.text
    return uuid.UUID(made.json()["id"])


async def test_a_customer_sees_and_applies_only_their_own_usable_offers(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    account = await signed_in(app, db, role="customer")
    mine = await _own_profile(client, account)
    usable = await new_offer(db, name="Usable", conditions={"customer_tags": ["vip"]})
    copy_id = await give(db, usable, mine)
    await give(db, await new_offer(db, is_active=False), mine)
    await give(db, await new_offer(db, starts=START + timedelta(days=1)), mine)
    await give(db, await new_offer(db), mine, status="used")
    listed = await client.get(f"{API}/me/customers/{mine}/offers", headers=account.headers)
    assert listed.status_code == 200, listed.text
    [only] = listed.json()["items"]
    assert (only["id"], only["status"], only["offer"]["name"]) == (
        str(copy_id),
        "available",
        "Usable",
    )
    assert only["offer"]["conditions"] == {"service_ids": None, "min_total": None}
    someone = await new_customer(db)
    theirs = await give(db, usable, someone)
    own_booking, their_booking = await new_booking(mine), await new_booking(someone)
    url = f"{API}/me/customers/{mine}/offers"
    for copy, booking in ((theirs, own_booking), (copy_id, their_booking)):
        refused = await client.post(
            f"{url}/{copy}/apply", headers=account.headers, json={"booking_id": str(booking)}
        )
        assert refused.status_code == 404, refused.text
    other = await client.get(f"{API}/me/customers/{someone}/offers", headers=account.headers)
    assert other.status_code == 404
    await client.patch(f"{API}/customers/{mine}", headers=admin.headers, json={"tags": ["vip"]})
    applied = await client.post(
        f"{url}/{copy_id}/apply", headers=account.headers, json={"booking_id": str(own_booking)}
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["discount"] == "4"
    after = await client.get(url, headers=account.headers)
    assert after.json()["items"] == []


@pytest.mark.parametrize(
    ("role", "status"), [("receptionist", 200), ("staff", 200), ("customer", 403), (None, 403)]
)
async def test_the_desk_applies_with_bookings_update(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
    role: str | None,
    status: int,
) -> None:
    caller = await signed_in(app, db, role=role)
    customer = await new_customer(db)
    copy_id = await give(db, await new_offer(db), customer)
    applied = await apply(client, caller, copy_id, await new_booking(customer))
    assert applied.status_code == status
    assert (await copy_row(db, copy_id)).status == ("used" if status == 200 else "available")
