"""Staff customer profiles: create, search (name, email, phone), read, change."""

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

URL = "/api/v1/customers"
ADA = {
    "name": "Ada Lovelace",
    "email": "Ada@Example.com",
    "phone": "+44 20 7946 0958",
    "tags": ["vip", "vip", "colour"],
    "notes": "Prefers mornings",
    "preferences": {"stylist": "Grace"},
}


@pytest.fixture
async def desk(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    return await signed_in(app, db, role="receptionist")


async def _create(client: httpx.AsyncClient, caller: Caller, **body: Any) -> dict[str, Any]:
    response = await client.post(URL, headers=caller.headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _search(client: httpx.AsyncClient, caller: Caller, q: str) -> list[str]:
    response = await client.get(URL, headers=caller.headers, params={"q": q})
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_the_desk_creates_and_reads_a_profile(
    client: httpx.AsyncClient, desk: Caller
) -> None:
    created = await _create(client, desk, **ADA)
    assert created["tags"] == ["vip", "colour"]  # duplicates dropped, order kept
    assert created["email"] == "Ada@example.com"  # the domain is case-insensitive
    assert created["user_id"] is None
    assert created["loyalty_points"] == 0
    fetched = await client.get(f"{URL}/{created['id']}", headers=desk.headers)
    assert fetched.json() == created


async def test_search_by_name_email_or_phone_case_insensitively(
    client: httpx.AsyncClient, desk: Caller
) -> None:
    await _create(client, desk, **ADA)
    await _create(client, desk, name="Grace Hopper", email="grace@navy.mil", phone="555 0100")
    await _create(client, desk, name="100% Real_Name")
    assert await _search(client, desk, "ada") == ["Ada Lovelace"]
    assert await _search(client, desk, "GRACE@") == ["Grace Hopper"]
    assert await _search(client, desk, "+44 20 79") == ["Ada Lovelace"]
    assert await _search(client, desk, "555-01") == ["Grace Hopper"]
    # The caller's wildcards match themselves.
    assert await _search(client, desk, "100%") == ["100% Real_Name"]
    assert await _search(client, desk, "%") == []
    assert await _search(client, desk, "_") == []
    assert await _search(client, desk, "lovelace") == []  # a prefix search, not contains


async def test_search_pages_newest_first(client: httpx.AsyncClient, desk: Caller) -> None:
    names = [f"Client {n}" for n in range(3)]
    for name in names:
        await _create(client, desk, name=name)
    first = (await client.get(URL, headers=desk.headers, params={"limit": 2})).json()
    after = {"limit": 2, "cursor": first["next_cursor"]}
    rest = (await client.get(URL, headers=desk.headers, params=after)).json()
    assert [item["name"] for item in first["items"] + rest["items"]] == list(reversed(names))
    assert rest["next_cursor"] is None


async def test_a_change_refolds_search_and_audits_field_names_only(
    client: httpx.AsyncClient, desk: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    created = await _create(client, desk, **ADA)
    changed = await client.patch(
        f"{URL}/{created['id']}",
        headers=desk.headers,
        json={"name": "Augusta Ada King", "phone": None, "notes": None},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["phone"], body["notes"]) == ("Augusta Ada King", None, None)
    assert body["email"] == "Ada@example.com"  # untouched
    assert await _search(client, desk, "augusta") == ["Augusta Ada King"]
    assert await _search(client, desk, "+44") == []
    async with db() as session:
        row = await session.scalar(select(AuditLog).where(AuditLog.action == "customer.update"))
    assert row is not None
    assert row.details == {"changed": ["name", "notes", "phone"]}


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "A", "email": "not-an-email"},
        {"name": "A", "phone": "call me"},
        {"name": "A", "tags": [f"t{n}" for n in range(21)]},
        {"name": "A", "preferences": {"x": "y" * 5000}},
        {"name": "A", "loyalty_points": 1000},  # never assignable
        {"name": "A", "user_id": "00000000-0000-0000-0000-000000000001"},
    ],
)
async def test_bad_profiles_are_refused(
    client: httpx.AsyncClient, desk: Caller, body: dict[str, Any]
) -> None:
    assert (await client.post(URL, headers=desk.headers, json=body)).status_code == 422
    assert (await client.get(URL, headers=desk.headers)).json()["items"] == []


async def test_customer_accounts_and_strangers_are_kept_out(
    app: FastAPI, client: httpx.AsyncClient, desk: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    created = await _create(client, desk, **ADA)
    customer = await signed_in(app, db, role="customer")
    for method, url in (("GET", URL), ("GET", f"{URL}/{created['id']}"), ("POST", URL)):
        response = await client.request(method, url, headers=customer.headers, json=ADA)
        assert response.status_code == 403, (method, url)
    assert (await client.get(URL)).status_code == 401
    unknown = await client.get(f"{URL}/00000000-0000-0000-0000-000000000001", headers=desk.headers)
    assert unknown.status_code == 404
