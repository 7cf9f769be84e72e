"""Callers and small helpers shared by the products and stock tests."""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.inventory.models import InventoryLog, Product
from frontdesk.business.inventory.stock import move_stock
from frontdesk.core import clock
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from tests.security.audit.callers import Caller, signed_in

URL = "/api/v1/products"
_numbers = itertools.count()


@pytest.fixture
async def manager(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    """Holds products:read, products:manage and inventory:adjust."""
    return await signed_in(app, db, role="manager")


@pytest.fixture
async def desk(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    """A receptionist: reads products, changes nothing."""
    return await signed_in(app, db, role="receptionist")


def product_body(**overrides: Any) -> dict[str, Any]:
    n = next(_numbers)
    body: dict[str, Any] = {"name": f"Product {n}", "sku": f"P-{n}", "price": "9.90"}
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, caller: Caller, **overrides: Any) -> dict[str, Any]:
    response = await client.post(URL, headers=caller.headers, json=product_body(**overrides))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def stored_product(
    db: async_sessionmaker[AsyncSession], *, stock: int = 0, active: bool = True
) -> uuid.UUID:
    """A product straight in the database, its stock brought in by a restock log."""
    async with transaction(db) as session:
        n = next(_numbers)
        product = Product(name=f"Stored {n}", sku=f"S-{n}", price=Decimal("5"), is_active=active)
        session.add(product)
        await session.flush()
        if stock:
            await move_stock(
                session,
                product.id,
                action="restock",
                quantity=stock,
                now=clock.now(),
                actor_id=None,
            )
        return product.id


async def ledger(db: async_sessionmaker[AsyncSession], product: uuid.UUID | str) -> dict[str, Any]:
    """The product's stock, the sum and count of its logs, and the newest log's
    stock_after (newest = highest UUIDv7 id)."""
    product_id = uuid.UUID(str(product))
    async with db() as session:
        stock = await session.scalar(select(Product.stock_quantity).where(Product.id == product_id))
        total, count = (
            await session.execute(
                select(func.coalesce(func.sum(InventoryLog.quantity), 0), func.count()).where(
                    InventoryLog.product_id == product_id
                )
            )
        ).one()
        last = await session.scalar(
            select(InventoryLog.stock_after)
            .where(InventoryLog.product_id == product_id)
            .order_by(InventoryLog.id.desc())
            .limit(1)
        )
    return {"stock": stock, "logged": int(total), "logs": int(count), "last": last}


async def counts(db: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    """(products, inventory logs) in the database."""
    async with db() as session:
        products = await session.scalar(select(func.count()).select_from(Product))
        logs = await session.scalar(select(func.count()).select_from(InventoryLog))
    return int(products or 0), int(logs or 0)
