"""Role assignments, direct grants and effective permissions over the admin API."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.ids import new_id
from frontdesk.security.rbac.deps import effective_permissions
from frontdesk.security.rbac.models import Permission, UserPermission, UserRole
from frontdesk.security.rbac.service import effective_permission_sources
from tests.security.rbac.admin_api import (
    Caller,
    audit_rows,
    effective,
    make_role,
    problem,
    rbac_app,
    role_id,
    signed_in,
    user_grants,
    user_roles,
)


@pytest.fixture
def app(database_url: str, engine: AsyncEngine, db: Any) -> FastAPI:
    return rbac_app(database_url, engine)


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    return await signed_in(app, db, role="admin")


@pytest.fixture
async def someone(app: FastAPI, db: async_sessionmaker[AsyncSession], admin: Caller) -> Caller:
    return await signed_in(app, db)


async def test_assigning_a_role_is_idempotent_and_audited(
    client: httpx.AsyncClient,
    admin: Caller,
    someone: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    url = user_roles(someone.user_id)
    first = await client.post(url, headers=admin.headers, json={"role": "receptionist"})
    assert first.status_code == 201, first.text
    assert first.json() == {"user_id": str(someone.user_id), "roles": ["receptionist"]}
    again = await client.post(url, headers=admin.headers, json={"role": "receptionist"})
    assert again.status_code == 200
    assert again.json()["roles"] == ["receptionist"]
    second = await client.post(url, headers=admin.headers, json={"role": "staff"})
    assert second.json()["roles"] == ["receptionist", "staff"]
    rows = await audit_rows(db, "rbac.role_assign")
    assert [(row.user_id, row.resource) for row in rows] == [
        (admin.user_id, f"user:{someone.user_id}")
    ] * 2
    assert [row.details for row in rows] == [{"role": "receptionist"}, {"role": "staff"}]
    async with db() as session:
        link = await session.get(UserRole, (someone.user_id, await role_id(db, "staff")))
        assert link is not None
        assert link.assigned_by == admin.user_id


async def test_assignment_refuses_unknown_roles_and_users(
    client: httpx.AsyncClient, admin: Caller, someone: Caller
) -> None:
    unknown = await client.post(
        user_roles(someone.user_id), headers=admin.headers, json={"role": "wizard"}
    )
    assert problem(unknown, 422, "unknown_role")["role"] == "wizard"
    nobody = await client.post(user_roles(new_id()), headers=admin.headers, json={"role": "staff"})
    problem(nobody, 404, "not_found")
    extra = await client.post(
        user_roles(someone.user_id), headers=admin.headers, json={"role": "staff", "x": 1}
    )
    problem(extra, 422, "validation_failed")


async def test_unassigning_a_role_is_audited_and_a_repeat_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    holder = await signed_in(app, db, role="staff")
    url = f"{user_roles(holder.user_id)}/staff"
    assert (await client.delete(url, headers=admin.headers)).status_code == 204
    assert (await client.delete(url, headers=admin.headers)).status_code == 204
    [row] = await audit_rows(db, "rbac.role_unassign")
    assert (row.user_id, row.resource, row.details) == (
        admin.user_id,
        f"user:{holder.user_id}",
        {"role": "staff"},
    )
    async with db() as session:
        assert (
            await session.scalar(select(UserRole).where(UserRole.user_id == holder.user_id)) is None
        )
    unknown = await client.delete(f"{user_roles(holder.user_id)}/wizard", headers=admin.headers)
    problem(unknown, 404, "not_found")


async def test_a_direct_grant_records_who_granted_it_and_until_when(
    client: httpx.AsyncClient,
    admin: Caller,
    someone: Caller,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    until = clock.now() + timedelta(days=2)
    response = await client.post(
        user_grants(someone.user_id),
        headers=admin.headers,
        json={"permission": "payments:refund", "expires_at": until.isoformat()},
    )
    assert response.status_code == 201, response.text
    grant = response.json()
    assert grant["permission"] == "payments:refund"
    assert (grant["user_id"], grant["granted_by"]) == (str(someone.user_id), str(admin.user_id))
    assert grant["is_active"] is True
    assert grant["expires_at"].startswith("2026-03-04T09:00:00")
    [row] = await audit_rows(db, "rbac.grant")
    assert row.user_id == admin.user_id
    assert row.details == {
        "id": grant["id"],
        "permission": "payments:refund",
        "expires_at": grant["expires_at"],
    }
    forever = await client.post(
        user_grants(someone.user_id), headers=admin.headers, json={"permission": "users:read"}
    )
    assert forever.status_code == 201
    assert forever.json()["expires_at"] is None


NOW = "2026-03-02T09:00:00+00:00"  # the frozen clock
YESTERDAY = "2026-03-01T09:00:00+00:00"
NAIVE = "2026-03-09T09:00:00"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"permission": "payments:fly"}, "unknown_permission"),
        ({"permission": "users:read", "expires_at": NOW}, "expiry_not_in_future"),
        ({"permission": "users:read", "expires_at": YESTERDAY}, "expiry_not_in_future"),
        ({"permission": "users:read", "expires_at": NAIVE}, "validation_failed"),
        ({"permission": "users:read", "granted_by": "someone"}, "validation_failed"),
    ],
)
async def test_a_grant_needs_a_known_permission_and_a_future_expiry(
    client: httpx.AsyncClient,
    admin: Caller,
    someone: Caller,
    body: dict[str, Any],
    code: str,
) -> None:
    response = await client.post(user_grants(someone.user_id), headers=admin.headers, json=body)
    problem(response, 422, code)


async def test_revoking_a_grant_keeps_the_row_inactive(
    client: httpx.AsyncClient,
    app: FastAPI,
    admin: Caller,
    someone: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    grant = (
        await client.post(
            user_grants(someone.user_id), headers=admin.headers, json={"permission": "users:read"}
        )
    ).json()
    url = f"{user_grants(someone.user_id)}/{grant['id']}"
    assert (await client.delete(url, headers=admin.headers)).status_code == 204
    assert (await client.delete(url, headers=admin.headers)).status_code == 204
    async with db() as session:
        row = await session.get(UserPermission, uuid.UUID(grant["id"]))
        assert row is not None
        assert row.is_active is False
    [audited] = await audit_rows(db, "rbac.grant_revoke")
    assert audited.details == {"id": grant["id"], "permission": "users:read"}
    other = await signed_in(app, db)
    elsewhere = f"{user_grants(other.user_id)}/{grant['id']}"
    problem(await client.delete(elsewhere, headers=admin.headers), 404, "not_found")
    missing = f"{user_grants(someone.user_id)}/{new_id()}"
    problem(await client.delete(missing, headers=admin.headers), 404, "not_found")


async def _grant(
    db: async_sessionmaker[AsyncSession],
    user: Caller,
    permission: str,
    *,
    expires_in: timedelta | None = None,
    active: bool = True,
    now: Any = None,
) -> str:
    async with transaction(db) as session:
        pid = await session.scalar(select(Permission.id).where(Permission.name == permission))
        assert pid is not None
        expires_at = None if expires_in is None else now + expires_in
        row = UserPermission(
            user_id=user.user_id, permission_id=pid, expires_at=expires_at, is_active=active
        )
        session.add(row)
        await session.flush()
        return str(row.id)


async def test_effective_permissions_say_where_each_comes_from(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    await make_role(db, "desk", ["customers:read", "users:read"])
    await make_role(db, "dormant", ["payments:refund"], is_active=False)
    user = await signed_in(app, db, role="staff")
    async with transaction(db) as session:
        for role in ("desk", "dormant"):
            session.add(UserRole(user_id=user.user_id, role_id=await role_id(db, role)))
    now = clock.now()
    lasting = await _grant(db, user, "users:read", expires_in=timedelta(hours=1), now=now)
    await _grant(db, user, "audit_logs:read", expires_in=timedelta(seconds=-1), now=now)
    await _grant(db, user, "settings:manage", active=False)
    forever = await _grant(db, user, "ads:manage")
    response = await client.get(effective(user.user_id), headers=admin.headers)
    assert response.status_code == 200, response.text
    by_name = {item["permission"]: item["sources"] for item in response.json()}
    assert list(by_name) == sorted(by_name)
    assert by_name["customers:read"] == [
        {"type": "role", "role": "desk"},
        {"type": "role", "role": "staff"},
    ]
    assert by_name["users:read"] == [
        {"type": "role", "role": "desk"},
        {"type": "grant", "grant_id": lasting, "expires_at": "2026-03-02T10:00:00Z"},
    ]
    assert by_name["ads:manage"] == [{"type": "grant", "grant_id": forever, "expires_at": None}]
    for absent in ("payments:refund", "audit_logs:read", "settings:manage"):
        assert absent not in by_name
    problem(await client.get(effective(new_id()), headers=admin.headers), 404, "not_found")


async def test_the_detailed_view_agrees_with_the_request_guard(
    app: FastAPI,
    engine: AsyncEngine,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    await make_role(db, "desk", ["customers:read", "payments:read"])
    await make_role(db, "dormant", ["payments:refund", "customers:read"], is_active=False)
    user = await signed_in(app, db, role="receptionist")
    async with transaction(db) as session:
        for role in ("desk", "dormant"):
            session.add(UserRole(user_id=user.user_id, role_id=await role_id(db, role)))
    now = clock.now()
    await _grant(db, user, "users:read", expires_in=timedelta(minutes=30), now=now)
    await _grant(db, user, "audit_logs:read", expires_in=timedelta(minutes=90), now=now)
    await _grant(db, user, "settings:manage", active=False)
    await _grant(db, user, "ads:manage")
    seen = []
    for _step in range(3):  # before, between and after the two expiries
        async with db() as session:
            detailed = await effective_permission_sources(session, user.user_id)
        names = {item.permission for item in detailed}
        assert names == await effective_permissions(engine, user.user_id)
        seen.append(names)
        clock.advance(timedelta(minutes=60))
    assert "users:read" in seen[0]
    assert "users:read" not in seen[1]
    assert "audit_logs:read" in seen[1]
    assert "audit_logs:read" not in seen[2]
    assert all("ads:manage" in names and "payments:refund" not in names for names in seen)
