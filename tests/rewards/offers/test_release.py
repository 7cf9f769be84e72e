"""Giving offers back and retiring them: a cancelled booking or a removed discount returns
the copy and uncounts the use (or expires / revokes it); the worker's job expires unused
copies of ended offers; erasure revokes a person's copies and deletes their offer emails
while the export carries them."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.core import clock as core_clock
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.events import DomainEvent, bus
from frontdesk.core.outbox_models import OutboxMessage
from frontdesk.rewards.offers.expiry import expire_offers
from frontdesk.security.audit.models import AuditLog
from tests.rewards.offers.conftest import (
    API,
    START,
    NewBooking,
    apply,
    booking_row,
    copies_of,
    copy_row,
    give,
    new_customer,
    new_offer,
    offer_row,
)
from tests.security.audit.callers import Caller, signed_in_again


async def _applied(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
    **offer: Any,
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]:
    """(offer, customer, copy, booking): a copy applied to an open booking."""
    offer_id = await new_offer(db, **offer)
    customer = await new_customer(db)
    copy_id = await give(db, offer_id, customer)
    booking_id = await new_booking(customer)
    applied = await apply(client, admin, copy_id, booking_id)
    assert applied.status_code == 200, applied.text
    return offer_id, customer, copy_id, booking_id


async def _cancel(
    client: httpx.AsyncClient, caller: Caller, booking_id: uuid.UUID
) -> httpx.Response:
    return await client.post(f"{API}/bookings/{booking_id}/cancel", headers=caller.headers, json={})


async def _remove(
    client: httpx.AsyncClient, caller: Caller, booking_id: uuid.UUID
) -> httpx.Response:
    return await client.delete(f"{API}/bookings/{booking_id}/discount", headers=caller.headers)


async def test_a_cancelled_booking_gives_the_offer_back(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    offer_id, customer, copy_id, booking_id = await _applied(
        client, admin, db, new_booking, max_uses_total=1
    )
    cancelled = await _cancel(client, admin, booking_id)
    assert cancelled.status_code == 200, cancelled.text
    copy = await copy_row(db, copy_id)
    assert (copy.status, copy.used_at, copy.booking_id) == ("available", None, None)
    assert (await offer_row(db, offer_id)).uses_count == 0
    async with db() as session:
        released = await session.scalar(select(AuditLog).where(AuditLog.action == "offer.release"))
    assert released is not None
    assert released.details is not None
    assert (released.details["status"], released.details["reason"]) == (
        "available",
        "booking_cancelled",
    )
    # The use is free again: the same copy goes on another booking, within the limit.
    again = await apply(client, admin, copy_id, await new_booking(customer))
    assert again.status_code == 200, again.text


async def test_removing_the_discount_gives_the_offer_back(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    offer_id, _customer, copy_id, booking_id = await _applied(client, admin, db, new_booking)
    removed = await _remove(client, admin, booking_id)
    assert removed.status_code == 200, removed.text
    assert (await copy_row(db, copy_id)).status == "available"
    assert (await offer_row(db, offer_id)).uses_count == 0
    booking = await booking_row(db, booking_id)
    assert (booking.discount, booking.customer_offer_id) == (Decimal(0), None)


async def test_a_copy_given_back_after_the_offer_ended_is_expired(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
    clock: FrozenClock,
) -> None:
    offer_id, _customer, copy_id, booking_id = await _applied(
        client, admin, db, new_booking, ends=START + timedelta(hours=2)
    )
    clock.advance(timedelta(hours=3))
    admin = await signed_in_again(app, db, admin.user_id)
    assert (await _remove(client, admin, booking_id)).status_code == 200
    copy = await copy_row(db, copy_id)
    assert (copy.status, copy.booking_id) == ("expired", None)
    assert (await offer_row(db, offer_id)).uses_count == 0


async def test_a_copy_given_back_when_another_is_available_is_revoked(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    offer_id, customer, copy_id, booking_id = await _applied(client, admin, db, new_booking)
    handed = await client.post(
        f"{API}/offers/{offer_id}/customers",
        headers=admin.headers,
        json={"customer_ids": [str(customer)]},
    )
    assert handed.json()["handed_out"] == 1
    assert (await _cancel(client, admin, booking_id)).status_code == 200
    assert (await copy_row(db, copy_id)).status == "revoked"
    assert await copies_of(db, offer_id) == {customer: ["revoked", "available"]}


async def test_an_event_delivered_twice_gives_back_once(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    offer_id, customer, copy_id, booking_id = await _applied(
        client, admin, db, new_booking, max_uses_total=5
    )
    assert (await _remove(client, admin, booking_id)).status_code == 200
    payload = {
        "booking_id": booking_id,
        "customer_id": customer,
        "source": "offer",
        "reference_id": copy_id,
        "actor_id": admin.user_id,
    }
    async with transaction(db) as session:
        await bus.publish(session, DomainEvent("booking.discount_removed", payload))
        await bus.publish(
            session,
            DomainEvent("booking.discount_removed", {**payload, "source": "voucher"}),
        )
    assert (await offer_row(db, offer_id)).uses_count == 0
    assert (await copy_row(db, copy_id)).status == "available"


async def test_a_completed_booking_keeps_its_offer_used(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    offer_id, _customer, copy_id, booking_id = await _applied(client, admin, db, new_booking)
    done = await client.post(f"{API}/bookings/{booking_id}/complete", headers=admin.headers)
    assert done.status_code == 200, done.text
    assert (await copy_row(db, copy_id)).status == "used"
    assert (await offer_row(db, offer_id)).uses_count == 1


async def test_the_expiry_job_expires_unused_copies_of_ended_offers_once(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    clock.set(START)
    ending = await new_offer(db, ends=START + timedelta(days=1))
    lasting = await new_offer(db, ends=START + timedelta(days=10))
    ada, bob = await new_customer(db), await new_customer(db)
    unused = await give(db, ending, ada)
    used = await give(db, ending, bob, status="used")
    revoked = await give(db, ending, bob, status="revoked")
    other = await give(db, lasting, ada)
    async with transaction(db) as session:
        assert await expire_offers(session, now=core_clock.now()) == 0
    clock.set(START + timedelta(days=1))  # the end is exclusive: ended now
    async with transaction(db) as session:
        assert await expire_offers(session, now=core_clock.now()) == 1
    async with transaction(db) as session:
        assert await expire_offers(session, now=core_clock.now()) == 0
    statuses = [(await copy_row(db, each)).status for each in (unused, used, revoked, other)]
    assert statuses == ["expired", "used", "revoked", "available"]
    async with db() as session:
        audits = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "offer.expire"))
        ).all()
    assert [row.details for row in audits] == [
        {"expired": 1, "ended_by": (START + timedelta(days=1)).isoformat()}
    ]


async def test_erasure_revokes_available_copies_and_deletes_offer_emails(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    new_booking: NewBooking,
) -> None:
    offer_id, customer, used_copy, _booking = await _applied(client, admin, db, new_booking)
    other_offer = await new_offer(db)
    bystander = await new_customer(db, email="by@example.com", marketing=True)
    async with transaction(db) as session:
        row = await session.get_one(Customer, customer)
        row.contact_info, row.preferences = {"email": "ada@example.com"}, {"marketing": True}
    handed = await client.post(
        f"{API}/offers/{other_offer}/customers",
        headers=admin.headers,
        json={"customer_ids": [str(customer), str(bystander)], "notify": True},
    )
    assert handed.json() == {"matched": 2, "handed_out": 2, "emailed": 2}

    exported = await client.get(f"{API}/customers/{customer}/export", headers=admin.headers)
    rows = exported.json()["related"]["customer_offers"]
    assert sorted((row["offer_id"], row["status"]) for row in rows) == sorted(
        [(str(offer_id), "used"), (str(other_offer), "available")]
    )

    erased = await client.post(f"{API}/customers/{customer}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    assert (await copy_row(db, used_copy)).status == "used"  # the record of a discount given
    assert (await copies_of(db, other_offer))[customer] == ["revoked"]
    assert (await copies_of(db, other_offer))[bystander] == ["available"]
    async with db() as session:
        recipients = list(await session.scalars(select(OutboxMessage.recipient)))
        forgot = await session.scalar(
            select(AuditLog).where(AuditLog.action == "offer.forget_customer")
        )
    assert recipients == ["by@example.com"]
    assert forgot is not None
    assert forgot.details == {"revoked": 1, "emails_deleted": 1}
