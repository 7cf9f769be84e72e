"""Fixtures for the points tests: callers, earning rules, bookings and ledger readers.

Bookings are written straight into the database (a product-only sale, like the payments
tests do), so a test picks the total it needs; the money on them moves through the real
payments API, so points are earned and reversed by the real ``booking.paid`` and
``payment.refunded`` events.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.business.orders.models import Booking
from frontdesk.business.settings.models import BusinessSettings
from frontdesk.core import clock as core_clock
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.events import DomainEvent
from frontdesk.rewards.loyalty.ledger import move_points
from frontdesk.rewards.loyalty.models import LoyaltyTransaction
from tests import factories
from tests.events import listening
from tests.security.audit.callers import Caller, signed_in

API = "/api/v1"
START = datetime(2026, 11, 28, 12, tzinfo=UTC)

NewBooking = Callable[..., Awaitable[uuid.UUID]]


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(START)
    return await signed_in(app, db, role="admin")


async def set_rules(
    db: async_sessionmaker[AsyncSession], *, rate: str = "0", expiry_months: int = 0
) -> None:
    """The earning rules, straight in the settings row."""
    async with transaction(db) as session:
        await session.execute(
            update(BusinessSettings).values(
                points_per_currency_unit=Decimal(rate), points_expiry_months=expiry_months
            )
        )


async def new_customer(db: async_sessionmaker[AsyncSession], points: int = 0) -> uuid.UUID:
    """A committed customer; starting points arrive as an adjustment, as they must."""
    async with transaction(db) as session:
        customer = await factories.customer(session)
        if points:
            await move_points(
                session,
                customer.id,
                points=points,
                reason="adjustment",
                now=core_clock.now(),
                actor_id=None,
                note="opening balance",
            )
        return customer.id


@pytest.fixture
def new_booking(db: async_sessionmaker[AsyncSession], admin: Caller) -> NewBooking:
    async def make(
        total: str = "100.00", customer_id: uuid.UUID | None = None, currency: str = "EUR"
    ) -> uuid.UUID:
        async with transaction(db) as session:
            booking = Booking(
                user_id=admin.user_id,
                customer_id=customer_id,
                status="confirmed",
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


async def ledger(db: async_sessionmaker[AsyncSession], customer_id: uuid.UUID) -> dict[str, Any]:
    """The balance, the sum of the ledger, its rows oldest first (reason, points)."""
    async with db() as session:
        balance = await session.scalar(
            select(Customer.loyalty_points).where(Customer.id == customer_id)
        )
        summed = await session.scalar(
            select(func.coalesce(func.sum(LoyaltyTransaction.points), 0)).where(
                LoyaltyTransaction.customer_id == customer_id
            )
        )
        rows = list(
            await session.scalars(
                select(LoyaltyTransaction)
                .where(LoyaltyTransaction.customer_id == customer_id)
                .order_by(LoyaltyTransaction.id)
            )
        )
    return {
        "balance": balance,
        "sum": int(summed or 0),
        "rows": [(row.reason, row.points) for row in rows],
        "last": rows[-1] if rows else None,
    }


async def points_of(
    client: httpx.AsyncClient, caller: Caller, customer_id: uuid.UUID | str, **params: Any
) -> httpx.Response:
    return await client.get(
        f"{API}/customers/{customer_id}/points", headers=caller.headers, params=params
    )


@pytest.fixture
def published() -> Iterator[list[DomainEvent]]:
    """Every ``booking.paid`` and ``payment.refunded`` published during the test."""
    with listening("booking.paid", "payment.refunded") as seen:
        yield seen
