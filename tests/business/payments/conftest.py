"""Fixtures for the payments tests: a signed-in admin and bookings built in the database.

Bookings are written directly (no appointment: a product-only sale), so a test can pick
any total, currency and status without setting up services and staff.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.orders.models import Booking
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.events import DomainEvent
from tests import factories
from tests.events import listening
from tests.security.audit.callers import Caller, signed_in

NewBooking = Callable[..., Awaitable[uuid.UUID]]


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(datetime(2026, 11, 28, 12, tzinfo=UTC))
    return await signed_in(app, db, role="admin")


@pytest.fixture
def new_booking(db: async_sessionmaker[AsyncSession], admin: Caller) -> NewBooking:
    async def make(
        total: str = "100.00",
        currency: str = "EUR",
        status: str = "confirmed",
        customer_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        async with transaction(db) as session:
            if customer_id is None:
                customer_id = (await factories.customer(session)).id
            booking = Booking(
                user_id=admin.user_id,
                customer_id=customer_id,
                status=status,
                subtotal=Decimal(total),
                discount=Decimal(0),
                total=Decimal(total),
                currency=currency,
                source="desk",
            )
            session.add(booking)
            await session.flush()
            return booking.id

    return make


@pytest.fixture
def published() -> Iterator[list[DomainEvent]]:
    """Every ``booking.paid`` and ``payment.refunded`` published during the test."""
    with listening("booking.paid", "payment.refunded") as seen:
        yield seen
