"""SECURITY.md 15: role and grant changes, grant expiry and role deactivation apply on
the caller's very next request (no caches)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from tests.security.rbac.admin_api import (
    API,
    ROLES,
    Caller,
    make_role,
    rbac_app,
    signed_in,
    user_grants,
    user_roles,
)

AUDIT_LOGS = "/api/v1/audit-logs"  # needs audit_logs:read
USERS = f"{API}/users"  # needs users:read


@pytest.fixture
def app(database_url: str, engine: AsyncEngine, db: Any) -> FastAPI:
    return rbac_app(database_url, engine)


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    return await signed_in(app, db, role="admin")


@pytest.fixture
async def user(app: FastAPI, db: async_sessionmaker[AsyncSession], admin: Caller) -> Caller:
    return await signed_in(app, db)


async def _status(client: httpx.AsyncClient, caller: Caller, url: str) -> int:
    return (await client.get(url, headers=caller.headers)).status_code


async def _ok(response: httpx.Response) -> None:
    assert response.status_code in (200, 201, 204), response.text


async def test_role_changes_apply_on_the_next_request(
    client: httpx.AsyncClient, admin: Caller, user: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    role = f"{ROLES}/{await make_role(db, 'auditor', ['audit_logs:read'])}"
    assert await _status(client, user, AUDIT_LOGS) == 403
    assigned = await client.post(
        user_roles(user.user_id), headers=admin.headers, json={"role": "auditor"}
    )
    await _ok(assigned)
    assert await _status(client, user, AUDIT_LOGS) == 200
    await _ok(await client.patch(role, headers=admin.headers, json={"is_active": False}))
    assert await _status(client, user, AUDIT_LOGS) == 403
    await _ok(await client.patch(role, headers=admin.headers, json={"is_active": True}))
    assert await _status(client, user, AUDIT_LOGS) == 200
    emptied = await client.put(
        f"{role}/permissions", headers=admin.headers, json={"permissions": []}
    )
    await _ok(emptied)
    assert await _status(client, user, AUDIT_LOGS) == 403
    restored = {"permissions": ["audit_logs:read", "users:read"]}
    await _ok(await client.put(f"{role}/permissions", headers=admin.headers, json=restored))
    assert await _status(client, user, AUDIT_LOGS) == 200
    assert await _status(client, user, USERS) == 200
    await _ok(await client.delete(f"{user_roles(user.user_id)}/auditor", headers=admin.headers))
    assert await _status(client, user, AUDIT_LOGS) == 403
    assert await _status(client, user, USERS) == 403


async def test_deleting_a_role_applies_on_the_next_request(
    client: httpx.AsyncClient, admin: Caller, user: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    role = f"{ROLES}/{await make_role(db, 'auditor', ['audit_logs:read'])}"
    await _ok(
        await client.post(user_roles(user.user_id), headers=admin.headers, json={"role": "auditor"})
    )
    assert await _status(client, user, AUDIT_LOGS) == 200
    await _ok(await client.delete(role, headers=admin.headers))
    assert await _status(client, user, AUDIT_LOGS) == 403


async def test_a_direct_grant_applies_at_once_and_lapses_at_its_expiry(
    client: httpx.AsyncClient, admin: Caller, user: Caller, clock: FrozenClock
) -> None:
    assert await _status(client, user, USERS) == 403
    until = clock.now() + timedelta(minutes=5)
    body = {"permission": "users:read", "expires_at": until.isoformat()}
    await _ok(await client.post(user_grants(user.user_id), headers=admin.headers, json=body))
    assert await _status(client, user, USERS) == 200
    clock.advance(timedelta(minutes=4, seconds=59))
    assert await _status(client, user, USERS) == 200
    clock.advance(timedelta(seconds=1))  # expires_at is the first instant it no longer grants
    assert await _status(client, user, USERS) == 403


async def test_a_revoked_grant_stops_granting_on_the_next_request(
    client: httpx.AsyncClient, admin: Caller, user: Caller
) -> None:
    body = {"permission": "audit_logs:read"}
    grant = await client.post(user_grants(user.user_id), headers=admin.headers, json=body)
    await _ok(grant)
    assert await _status(client, user, AUDIT_LOGS) == 200
    revoke = f"{user_grants(user.user_id)}/{grant.json()['id']}"
    await _ok(await client.delete(revoke, headers=admin.headers))
    assert await _status(client, user, AUDIT_LOGS) == 403
