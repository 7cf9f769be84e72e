"""Fixtures for the ads tests: an admin, a customer account with profiles built by the
marketing builders, ads made through the API, and impressions written at given times."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.rewards.ads import targeting
from frontdesk.rewards.ads.models import CustomerAdViewed
from tests.rewards.marketing.conftest import NOW, Person, person
from tests.security.audit.callers import Caller, signed_in

ADMIN = "/api/v1/admin/ads"
ME = "/api/v1/me/ads"


@pytest.fixture(autouse=True)
def no_running_ads_kept() -> None:
    """Each test starts without the running ads a process keeps (targeting): another
    test's ads, deleted since, would otherwise be shown for up to two seconds."""
    targeting.forget_running_ads()


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(NOW)
    return await signed_in(app, db, role="admin")


@pytest.fixture
async def account(app: FastAPI, db: async_sessionmaker[AsyncSession], admin: Caller) -> Caller:
    """A customer account (no profile yet: tests add them with :func:`profile`)."""
    return await signed_in(app, db, role="customer")


async def profile(
    db: async_sessionmaker[AsyncSession],
    owner: Caller | None,
    spec: Person | None = None,
    *,
    name: str = "Ada Customer",
) -> uuid.UUID:
    """A committed profile of ``owner`` (consenting unless ``spec`` says otherwise)."""
    async with transaction(db) as session:
        customer = await person(
            session,
            spec or Person(consent=True),
            name=name,
            owner_id=owner.user_id if owner else None,
        )
        return customer.id


async def new_ad(client: httpx.AsyncClient, admin: Caller, **fields: Any) -> dict[str, Any]:
    body = {"title": "Spring colour", "content": "20% off colour in April.", **fields}
    response = await client.post(ADMIN, headers=admin.headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def shown(client: httpx.AsyncClient, caller: Caller, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(ME, headers=caller.headers, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def view(
    client: httpx.AsyncClient, caller: Caller, ad_id: str, customer_id: uuid.UUID | None = None
) -> httpx.Response:
    body = {"customer_id": str(customer_id)} if customer_id else {}
    return await client.post(f"{ME}/{ad_id}/view", headers=caller.headers, json=body)


async def click(
    client: httpx.AsyncClient, caller: Caller, ad_id: str, customer_id: uuid.UUID | None = None
) -> httpx.Response:
    body = {"customer_id": str(customer_id)} if customer_id else {}
    return await client.post(f"{ME}/{ad_id}/click", headers=caller.headers, json=body)


async def impressions(db: async_sessionmaker[AsyncSession], **where: Any) -> list[CustomerAdViewed]:
    """Impressions, oldest first, filtered by column values."""
    query = select(CustomerAdViewed).order_by(CustomerAdViewed.viewed_at, CustomerAdViewed.id)
    for name, value in where.items():
        query = query.where(getattr(CustomerAdViewed, name) == value)
    async with db() as session:
        return list(await session.scalars(query))


async def seen_at(
    db: async_sessionmaker[AsyncSession],
    ad_id: str,
    customer_id: uuid.UUID,
    at: datetime,
    *,
    clicked: bool = False,
) -> None:
    """An impression written straight into the table (stats across days)."""
    async with transaction(db) as session:
        session.add(
            CustomerAdViewed(
                customer_id=customer_id,
                ad_id=uuid.UUID(ad_id),
                viewed_at=at,
                clicked=clicked,
                clicked_at=at if clicked else None,
            )
        )
