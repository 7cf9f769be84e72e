"""Fixtures for the catalogue tests: rewards made through the API, customers with points,
and open bookings written straight into the database with the lines a test needs.

Bookings carry service and product lines without an appointment (like a desk sale), so
a test picks its lines and prices; everything a voucher does to them goes through the
real API and the business layer's discount and lifecycle code.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.business.inventory.models import Product
from frontdesk.business.orders.models import Booking, BookingItem
from frontdesk.core.db import transaction
from frontdesk.rewards.catalogue.models import Reward, RewardVoucher
from tests import factories
from tests.rewards.loyalty.conftest import API, admin, ledger, new_customer
from tests.security.audit.callers import Caller, signed_in

__all__ = ["API", "admin", "ledger", "new_customer"]  # admin: a fixture, for pytest

Line = tuple[str, uuid.UUID, str, int]  # (kind, service or product id, unit price, quantity)
NewBooking = Callable[..., Awaitable[uuid.UUID]]
_skus = itertools.count()


async def a_service(db: async_sessionmaker[AsyncSession], price: str = "40.00") -> uuid.UUID:
    async with transaction(db) as session:
        return (await factories.service(session, price=Decimal(price))).id


async def a_product(db: async_sessionmaker[AsyncSession], price: str = "10.00") -> uuid.UUID:
    async with transaction(db) as session:
        product = Product(name=f"Balm {next(_skus)}", sku=f"BALM-{uuid.uuid4().hex[:10]}")
        product.price = Decimal(price)
        session.add(product)
        await session.flush()
        return product.id


@pytest.fixture
def open_booking(db: async_sessionmaker[AsyncSession], admin: Caller) -> NewBooking:
    async def make(
        customer_id: uuid.UUID | None, *lines: Line, status: str = "confirmed"
    ) -> uuid.UUID:
        async with transaction(db) as session:
            items = [
                BookingItem(
                    kind=kind,
                    service_id=ref if kind == "service" else None,
                    product_id=ref if kind == "product" else None,
                    description=kind,
                    quantity=qty,
                    unit_price=Decimal(price),
                    line_total=Decimal(price) * qty,
                )
                for kind, ref, price, qty in lines
            ]
            subtotal = sum((item.line_total for item in items), Decimal(0))
            booking = Booking(
                user_id=admin.user_id,
                customer_id=customer_id,
                status=status,
                subtotal=subtotal,
                discount=Decimal(0),
                total=subtotal,
                currency="EUR",
                source="desk",
            )
            session.add(booking)
            await session.flush()
            for item in items:
                item.booking_id = booking.id
            session.add_all(items)
            return booking.id

    return make


async def make_reward(
    client: httpx.AsyncClient, caller: Caller, *, cost: int = 100, **fields: Any
) -> dict[str, Any]:
    conditions = {"points_cost": cost, **fields.pop("conditions", {})}
    body = {"name": "Ten off", "type": "discount_amount", "value": "10.00", **fields}
    response = await client.post(
        f"{API}/rewards", headers=caller.headers, json={**body, "conditions": conditions}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def redeem(
    client: httpx.AsyncClient,
    caller: Caller,
    reward_id: str,
    customer_id: uuid.UUID | str,
    key: str | None = None,
) -> Awaitable[httpx.Response]:
    headers = {**caller.headers, **({"Idempotency-Key": key} if key else {})}
    return client.post(
        f"{API}/rewards/{reward_id}/redeem",
        headers=headers,
        json={"customer_id": str(customer_id)},
    )


def apply(
    client: httpx.AsyncClient, caller: Caller, voucher_id: str, booking_id: uuid.UUID | str
) -> Awaitable[httpx.Response]:
    return client.post(
        f"{API}/rewards/vouchers/{voucher_id}/apply",
        headers=caller.headers,
        json={"booking_id": str(booking_id)},
    )


async def voucher_of(
    client: httpx.AsyncClient, caller: Caller, reward_id: str, customer_id: uuid.UUID
) -> str:
    """A fresh voucher of ``reward_id`` for the customer (who needs the points)."""
    response = await redeem(client, caller, reward_id, customer_id)
    assert response.status_code == 201, response.text
    voucher_id: str = response.json()["voucher"]["id"]
    return voucher_id


async def own_profile(
    app: FastAPI, db: async_sessionmaker[AsyncSession], points: int = 0
) -> tuple[Caller, uuid.UUID]:
    """A signed-in customer account and a profile it owns, with ``points``."""
    account = await signed_in(app, db, role="customer")
    customer_id = await new_customer(db, points=points)
    async with transaction(db) as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        customer.user_id = account.user_id
    return account, customer_id


async def voucher_row(db: async_sessionmaker[AsyncSession], voucher_id: str) -> RewardVoucher:
    async with db() as session:
        found = await session.get(RewardVoucher, uuid.UUID(voucher_id))
        assert found is not None
        return found


async def stock_of(db: async_sessionmaker[AsyncSession], reward_id: str) -> int | None:
    async with db() as session:
        stock: int | None = await session.scalar(
            select(Reward.stock).where(Reward.id == uuid.UUID(reward_id))
        )
        return stock


async def vouchers_of(db: async_sessionmaker[AsyncSession], reward_id: str) -> int:
    async with db() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(RewardVoucher)
            .where(RewardVoucher.reward_id == uuid.UUID(reward_id))
        )
        return int(count or 0)
