"""Fixtures for the offers tests: offers, customers, bookings with service lines, copies.

Rows are written straight into the database where a test only needs them to exist; what
a test is about goes through the API (or the service, for the concurrency tests that
need their own connections). The clock is frozen at :data:`START`, inside the window of
:func:`new_offer`'s default offer.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.business.orders.models import Booking, BookingItem
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.rewards.offers.models import CustomerOffer, Offer
from tests import factories
from tests.security.audit.callers import Caller, signed_in

API = "/api/v1"
START = datetime(2026, 11, 28, 12, tzinfo=UTC)
WINDOW = timedelta(days=30)

NewBooking = Callable[..., Awaitable[uuid.UUID]]


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(START)
    return await signed_in(app, db, role="admin")


async def new_offer(
    db: async_sessionmaker[AsyncSession],
    *,
    percent: str = "10",
    starts: datetime = START - timedelta(days=1),
    ends: datetime = START + WINDOW,
    **fields: Any,
) -> uuid.UUID:
    async with transaction(db) as session:
        offer = Offer(
            name=fields.pop("name", f"{percent}% off"),
            discount_percent=Decimal(percent),
            valid_from=starts,
            valid_until=ends,
            uses_count=0,
            conditions=fields.pop("conditions", {}),
            **fields,
        )
        session.add(offer)
        await session.flush()
        return offer.id


async def new_customer(
    db: async_sessionmaker[AsyncSession],
    *,
    name: str = "Ada Customer",
    tags: list[str] | None = None,
    email: str | None = None,
    marketing: Any = None,
    points: int = 0,
    owner: uuid.UUID | None = None,
) -> uuid.UUID:
    async with transaction(db) as session:
        customer = await factories.customer(session, name)
        customer.tags = tags or []
        customer.contact_info = {"email": email} if email else {}
        customer.preferences = {} if marketing is None else {"marketing": marketing}
        customer.loyalty_points = points  # audience tests only read it
        customer.user_id = owner
        await session.flush()
        return customer.id


async def give(
    db: async_sessionmaker[AsyncSession],
    offer_id: uuid.UUID,
    customer_id: uuid.UUID,
    status: str = "available",
) -> uuid.UUID:
    """A copy written straight into the table (the hand-out has its own tests)."""
    async with transaction(db) as session:
        copy = CustomerOffer(
            offer_id=offer_id,
            customer_id=customer_id,
            status=status,
            used_at=START if status == "used" else None,
        )
        session.add(copy)
        await session.flush()
        return copy.id


@pytest.fixture
async def services(db: async_sessionmaker[AsyncSession]) -> tuple[uuid.UUID, uuid.UUID]:
    """Two services: a cut (40.00) and a colour (60.00)."""
    async with transaction(db) as session:
        cut = await factories.service(session, minutes=30, price=Decimal("40.00"))
        colour = await factories.service(session, minutes=90, price=Decimal("60.00"))
        return cut.id, colour.id


@pytest.fixture
def new_booking(
    db: async_sessionmaker[AsyncSession], admin: Caller, services: tuple[uuid.UUID, uuid.UUID]
) -> NewBooking:
    """An open booking of ``customer_id`` holding one line per service named (by
    default the cut), priced as the service is; ``status`` to close it."""

    async def make(
        customer_id: uuid.UUID | None,
        *lines: uuid.UUID,
        status: str = "confirmed",
        currency: str = "EUR",
    ) -> uuid.UUID:
        async with transaction(db) as session:
            prices = {services[0]: Decimal("40.00"), services[1]: Decimal("60.00")}
            chosen = lines or (services[0],)
            subtotal = sum((prices[line] for line in chosen), Decimal(0))
            booking = Booking(
                user_id=admin.user_id,
                customer_id=customer_id,
                status=status,
                subtotal=subtotal,
                discount=Decimal(0),
                total=subtotal,
                currency=currency,
                source="desk",
            )
            session.add(booking)
            await session.flush()
            for line in chosen:
                session.add(
                    BookingItem(
                        booking_id=booking.id,
                        kind="service",
                        service_id=line,
                        description="service",
                        quantity=1,
                        unit_price=prices[line],
                        line_total=prices[line],
                    )
                )
            return booking.id

    return make


async def offer_row(db: async_sessionmaker[AsyncSession], offer_id: uuid.UUID) -> Offer:
    async with db() as session:
        return await session.get_one(Offer, offer_id)


async def copies_of(
    db: async_sessionmaker[AsyncSession], offer_id: uuid.UUID
) -> dict[uuid.UUID, list[str]]:
    """customer -> the statuses of their copies of the offer, oldest first."""
    async with db() as session:
        rows = await session.scalars(
            select(CustomerOffer)
            .where(CustomerOffer.offer_id == offer_id)
            .order_by(CustomerOffer.id)
        )
        found: dict[uuid.UUID, list[str]] = {}
        for row in rows:
            found.setdefault(row.customer_id, []).append(row.status)
        return found


async def copy_row(db: async_sessionmaker[AsyncSession], copy_id: uuid.UUID) -> CustomerOffer:
    async with db() as session:
        return await session.get_one(CustomerOffer, copy_id)


async def booking_row(db: async_sessionmaker[AsyncSession], booking_id: uuid.UUID) -> Booking:
    async with db() as session:
        return await session.get_one(Booking, booking_id)


async def customer_row(db: async_sessionmaker[AsyncSession], customer_id: uuid.UUID) -> Customer:
    async with db() as session:
        return await session.get_one(Customer, customer_id)


def apply(
    client: httpx.AsyncClient, caller: Caller, copy_id: uuid.UUID | str, booking_id: uuid.UUID
) -> Any:
    """The desk applies a copy to a booking."""
    return client.post(
        f"{API}/offers/customer-offers/{copy_id}/apply",
        headers=caller.headers,
        json={"booking_id": str(booking_id)},
    )


def problem(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json().get("code")
