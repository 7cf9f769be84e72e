"""Services: a public catalogue of active services, managed with ``services:manage``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.security.audit.models import AuditLog
from tests.security.audit.callers import Caller, signed_in

SERVICES = "/api/v1/services"
ALL_SERVICES = "/api/v1/admin/services"
CUT = {"name": "Haircut", "category": "hair", "duration_minutes": 45, "price": "35.50"}


@pytest.fixture
async def manager(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    return await signed_in(app, db, role="manager")


async def _create(client: httpx.AsyncClient, caller: Caller, **extra: Any) -> dict[str, Any]:
    response = await client.post(SERVICES, headers=caller.headers, json={**CUT, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_manager_creates_a_service_priced_in_the_business_currency(
    client: httpx.AsyncClient, manager: Caller
) -> None:
    created = await _create(client, manager, buffer_after_minutes=10)
    assert created["price"] == "35.5"
    assert created["currency"] == "EUR"
    assert created["buffer_before_minutes"] == 0
    assert created["buffer_after_minutes"] == 10
    public = await client.get(f"{SERVICES}/{created['id']}")
    assert public.status_code == 200
    assert public.json() == created


async def test_the_catalogue_lists_active_services_and_filters_by_category(
    client: httpx.AsyncClient, manager: Caller
) -> None:
    cut = await _create(client, manager)
    color = await _create(client, manager, name="Colour", category="colour")
    hidden = await _create(client, manager, name="Retired", is_active=False)
    listed = (await client.get(SERVICES)).json()
    assert [item["id"] for item in listed["items"]] == [color["id"], cut["id"]]  # newest first
    assert listed["next_cursor"] is None
    by_category = (await client.get(SERVICES, params={"category": "hair"})).json()
    assert [item["id"] for item in by_category["items"]] == [cut["id"]]
    # An inactive service does not exist for the public, but managers see it.
    assert (await client.get(f"{SERVICES}/{hidden['id']}")).status_code == 404
    everything = (await client.get(ALL_SERVICES, headers=manager.headers)).json()
    assert hidden["id"] in {item["id"] for item in everything["items"]}


async def test_the_catalogue_pages_with_a_cursor(
    client: httpx.AsyncClient, manager: Caller
) -> None:
    ids = [(await _create(client, manager, name=f"Service {n}"))["id"] for n in range(3)]
    first = (await client.get(SERVICES, params={"limit": 2})).json()
    second = (
        await client.get(SERVICES, params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    seen = [item["id"] for item in first["items"] + second["items"]]
    assert seen == list(reversed(ids))
    assert second["next_cursor"] is None


async def test_a_manager_changes_and_deactivates_a_service_audited(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    created = await _create(client, manager)
    url = f"{SERVICES}/{created['id']}"
    changed = await client.patch(
        url, headers=manager.headers, json={"price": "40", "category": None, "is_active": False}
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["price"], body["category"], body["is_active"]) == ("40", None, False)
    assert body["name"] == "Haircut"  # untouched
    async with db() as session:
        row = await session.scalar(select(AuditLog).where(AuditLog.action == "service.update"))
    assert row is not None
    assert row.details == {
        "before": {"category": "hair", "is_active": True, "price": "35.5"},
        "after": {"category": None, "is_active": False, "price": "40"},
    }


@pytest.mark.parametrize(
    "body",
    [
        {**CUT, "price": "-1"},
        {**CUT, "duration_minutes": 0},
        {**CUT, "duration_minutes": 24 * 60 + 1},
        {**CUT, "buffer_before_minutes": -5},
        {**CUT, "name": ""},
        {**CUT, "currency": "USD"},  # the business currency, never the caller's
        {**CUT, "id": "00000000-0000-0000-0000-000000000001"},
        {key: value for key, value in CUT.items() if key != "price"},
    ],
)
async def test_bad_services_are_refused_and_nothing_is_created(
    client: httpx.AsyncClient, manager: Caller, body: dict[str, Any]
) -> None:
    response = await client.post(SERVICES, headers=manager.headers, json=body)
    assert response.status_code == 422, response.text
    everything = (await client.get(ALL_SERVICES, headers=manager.headers)).json()
    assert everything["items"] == []


async def test_managing_services_needs_the_permission(
    app: FastAPI,
    client: httpx.AsyncClient,
    manager: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    created = await _create(client, manager)
    receptionist = await signed_in(app, db, role="receptionist")
    for method, url in (
        ("POST", SERVICES),
        ("PATCH", f"{SERVICES}/{created['id']}"),
        ("GET", ALL_SERVICES),
    ):
        denied = await client.request(method, url, headers=receptionist.headers, json=CUT)
        assert denied.status_code == 403, (method, url)
        assert denied.json()["permission"] == "services:manage"
    unknown = await client.patch(
        f"{SERVICES}/00000000-0000-0000-0000-000000000001", headers=manager.headers, json={}
    )
    assert unknown.status_code == 404
