"""Fixtures for the referral tests: callers, the referral rules, customers made through
the API (so they get their codes the real way), bookings and what the database holds.

Bookings are written straight into the database (a product-only sale, as the points
tests do); the money on them moves through the real payments API, so referrals complete
and are cancelled by the real ``booking.paid`` and ``payment.refunded`` events.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.orders.models import Booking
from frontdesk.business.settings.models import BusinessSettings
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.events import bus
from frontdesk.rewards.referrals import handlers
from frontdesk.rewards.referrals.models import Referral
from tests.rewards.loyalty.conftest import START
from tests.security.audit.callers import Caller, signed_in

API = "/api/v1"
CUSTOMERS = f"{API}/customers"
REFERRALS = f"{API}/referrals"


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(START)
    return await signed_in(app, db, role="admin")


@pytest.fixture
async def desk(app: FastAPI, db: async_sessionmaker[AsyncSession], admin: Caller) -> Caller:
    return await signed_in(app, db, role="receptionist")


@pytest.fixture
async def account(app: FastAPI, db: async_sessionmaker[AsyncSession], admin: Caller) -> Caller:
    return await signed_in(app, db, role="customer")


async def set_rules(
    db: async_sessionmaker[AsyncSession], *, points: int = 0, window_days: int = 14
) -> None:
    """The referral rules, straight in the settings row."""
    async with transaction(db) as session:
        await session.execute(
            update(BusinessSettings).values(
                referral_reward_points=points, referral_refund_window_days=window_days
            )
        )


async def create_customer(
    client: httpx.AsyncClient, caller: Caller, name: str = "Ada", **body: Any
) -> httpx.Response:
    return await client.post(CUSTOMERS, headers=caller.headers, json={"name": name, **body})


async def new_customer(
    client: httpx.AsyncClient, caller: Caller, name: str = "Ada", **body: Any
) -> dict[str, Any]:
    """A customer created by the desk (``referred_by=`` a code, optionally)."""
    response = await create_customer(client, caller, name, **body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def new_booking(
    db: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: uuid.UUID | str,
    total: str = "100.00",
) -> uuid.UUID:
    async with transaction(db) as session:
        booking = Booking(
            user_id=caller.user_id,
            customer_id=uuid.UUID(str(customer_id)),
            status="confirmed",
            subtotal=Decimal(total),
            discount=Decimal(0),
            total=Decimal(total),
            currency="EUR",
            source="desk",
        )
        session.add(booking)
        await session.flush()
        return booking.id


async def referrals(db: async_sessionmaker[AsyncSession]) -> list[Referral]:
    """Every referral, oldest first."""
    async with db() as session:
        return list(await session.scalars(select(Referral).order_by(Referral.id)))


@contextmanager
def referrals_deaf() -> Iterator[None]:
    """Referrals do not hear ``booking.paid`` inside the block (so a test can deliver
    the event itself, later)."""
    bus.unsubscribe("booking.paid", handlers.on_booking_paid)
    try:
        yield
    finally:
        bus.subscribe("booking.paid", handlers.on_booking_paid)
