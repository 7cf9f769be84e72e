"""Ads and privacy (SECURITY.md 25): a customer's impressions are in their export, and
their erasure deletes them (an ad's past figures lose them), nobody else's."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.db import transaction
from frontdesk.core.events import DomainEvent, bus
from tests.rewards.ads.conftest import ADMIN, impressions, new_ad, profile, seen_at, view
from tests.rewards.marketing.conftest import NOW, Person
from tests.security.audit.callers import Caller

CUSTOMERS = "/api/v1/customers"


async def _total_impressions(client: httpx.AsyncClient, admin: Caller, ad_id: str) -> int:
    response = await client.get(f"{ADMIN}/{ad_id}/stats", headers=admin.headers)
    assert response.status_code == 200, response.text
    total: int = response.json()["totals"]["impressions"]
    return total


async def test_the_export_holds_the_customers_impressions(
    client: httpx.AsyncClient, admin: Caller, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await profile(db, account, Person(consent=True))
    ad = await new_ad(client, admin)
    seen = (await view(client, account, ad["id"])).json()
    exported = await client.get(f"{CUSTOMERS}/{customer_id}/export", headers=admin.headers)
    assert exported.status_code == 200, exported.text
    rows = exported.json()["related"]["customer_ads_viewed"]
    assert [(row["id"], row["ad_id"], row["clicked"]) for row in rows] == [
        (seen["id"], ad["id"], False)
    ]


async def test_erasing_a_customer_deletes_their_impressions_only(
    client: httpx.AsyncClient, admin: Caller, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    erased = await profile(db, account, Person(consent=True))
    kept = await profile(db, None, Person(consent=True), name="Bea")
    ad = await new_ad(client, admin)
    assert (await view(client, account, ad["id"])).status_code == 201
    await seen_at(db, ad["id"], kept, NOW, clicked=True)
    assert await _total_impressions(client, admin, ad["id"]) == 2
    response = await client.post(f"{CUSTOMERS}/{erased}/erase", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert await impressions(db, customer_id=erased) == []
    assert [row.clicked for row in await impressions(db, customer_id=kept)] == [True]
    assert await _total_impressions(client, admin, ad["id"]) == 1


async def test_the_erasure_event_alone_deletes_them(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    """The handler as the business layer calls it: in the erasure's transaction."""
    customer_id = await profile(db, None)
    ad = await new_ad(client, admin)
    await seen_at(db, ad["id"], customer_id, NOW)
    async with transaction(db) as session:
        payload = {"customer_id": customer_id, "actor_id": admin.user_id}
        await bus.publish(session, DomainEvent("customer.erased", payload))
    assert await impressions(db) == []
