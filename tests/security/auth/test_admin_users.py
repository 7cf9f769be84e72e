"""Admins create, list, change and deactivate accounts; deactivation ends sessions at once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.security.audit.models import AuditLog
from tests.security.accounts import STRONG_PASSWORD, bearer, login, make_user

USERS = "/api/v1/admin/users"


@pytest.fixture
async def admin(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> dict[str, str]:
    await make_user(db, "boss", roles=("admin",))
    return bearer(await login(client, "boss"))


async def test_admin_creates_a_staff_account_that_can_sign_in(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(
        USERS,
        headers=admin,
        json={"username": "Stylist", "email": "stylist@example.com", "password": STRONG_PASSWORD},
    )
    assert response.status_code == 201, response.text
    assert response.json()["is_customer"] is False
    await login(client, "stylist")


@pytest.mark.parametrize("field", ["is_customer", "is_active", "roles", "id"])
async def test_mass_assignment_on_staff_creation_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str], field: str
) -> None:
    body: dict[str, Any] = {
        "username": "sneaky", "email": "sneaky@example.com", "password": STRONG_PASSWORD,
        field: {"is_customer": True, "is_active": False, "roles": ["admin"], "id": "x"}[field],
    }  # fmt: skip
    response = await client.post(USERS, headers=admin, json=body)
    assert response.status_code == 422


async def test_list_filters_and_paginates(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for name in ("anna", "anton", "bert"):
        await make_user(db, name)
    await make_user(db, "carla", is_customer=True)
    page = (await client.get(USERS, headers=admin, params={"q": "AN", "limit": 1})).json()
    assert len(page["items"]) == 1
    second = (
        await client.get(
            USERS, headers=admin, params={"q": "an", "limit": 1, "cursor": page["next_cursor"]}
        )
    ).json()
    assert {page["items"][0]["username"], second["items"][0]["username"]} == {"anna", "anton"}
    customers = (await client.get(USERS, headers=admin, params={"is_customer": True})).json()
    assert [item["username"] for item in customers["items"]] == ["carla"]


async def test_deactivation_ends_every_session_at_once_and_is_audited(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    user = await make_user(db, "departing")
    tokens = await login(client, "departing")
    assert (await client.get("/api/v1/auth/me", headers=bearer(tokens))).status_code == 200
    response = await client.patch(f"{USERS}/{user.id}", headers=admin, json={"is_active": False})
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert (await client.get("/api/v1/auth/me", headers=bearer(tokens))).status_code == 401
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    failed = await client.post(
        "/api/v1/auth/login", json={"identifier": "departing", "password": STRONG_PASSWORD}
    )
    assert failed.status_code == 401
    async with db() as session:
        row = await session.scalar(select(AuditLog).where(AuditLog.action == "admin.user_update"))
    assert row is not None
    assert row.details["before"]["is_active"] is True
    assert row.details["after"]["is_active"] is False


@pytest.mark.parametrize("field", ["is_customer", "hashed_password", "id"])
async def test_mass_assignment_on_update_is_refused(
    db: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    admin: dict[str, str],
    field: str,
) -> None:
    user = await make_user(db, "target")
    response = await client.patch(f"{USERS}/{user.id}", headers=admin, json={field: "x"})
    assert response.status_code == 422


async def test_staff_without_the_permission_are_refused(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await make_user(db, "worker", roles=("staff",))
    response = await client.get(USERS, headers=bearer(await login(client, "worker")))
    assert response.status_code == 403
    assert response.json()["permission"] == "users:read"


async def test_admin_lists_and_revokes_anyones_sessions(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    user = await make_user(db, "watched")
    tokens = await login(client, "watched")
    sessions = (await client.get(f"{USERS}/{user.id}/sessions", headers=admin)).json()
    assert len(sessions) == 1
    revoke = await client.delete(f"/api/v1/admin/sessions/{sessions[0]['id']}", headers=admin)
    assert revoke.status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=bearer(tokens))).status_code == 401
    logs = (
        await client.get(
            "/api/v1/admin/session-logs", headers=admin, params={"user_id": str(user.id)}
        )
    ).json()
    assert {item["action"] for item in logs["items"]} == {"login", "revoke"}


async def test_admin_lists_and_clears_login_blocks(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, admin: dict[str, str], app: Any
) -> None:
    await make_user(db, "lockedout")
    for _ in range(app.state.settings.login_max_failures):
        await client.post(
            "/api/v1/auth/login", json={"identifier": "lockedout", "password": "wrong-guess-1234"}
        )
    blocks = (await client.get("/api/v1/admin/rate-limits", headers=admin)).json()["items"]
    account = [row for row in blocks if row["identifier"] == "login:lockedout"]
    assert len(account) == 1
    cleared = await client.delete(f"/api/v1/admin/rate-limits/{account[0]['id']}", headers=admin)
    assert cleared.status_code == 204
    await login(client, "lockedout")


async def test_the_last_active_admin_cannot_be_deactivated(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    me = (await client.get("/api/v1/auth/me", headers=admin)).json()
    response = await client.patch(f"{USERS}/{me['id']}", headers=admin, json={"is_active": False})
    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"
    second = await make_user(db, "deputy", roles=("admin",))
    ok = await client.patch(f"{USERS}/{second.id}", headers=admin, json={"is_active": False})
    assert ok.status_code == 200
