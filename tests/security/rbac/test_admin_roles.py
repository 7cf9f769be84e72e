"""Roles over the admin API: list, read, create, change, delete, set their permissions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.ids import new_id
from frontdesk.security.rbac.models import Role, RolePermission, UserRole
from frontdesk.security.rbac.service import assign_role
from tests import factories
from tests.security.rbac.admin_api import (
    PERMISSIONS,
    ROLES,
    Caller,
    all_permissions,
    audit_rows,
    make_role,
    problem,
    rbac_app,
    role_id,
    signed_in,
)

RECEPTIONIST = {
    "customers:read", "customers:create", "customers:update", "schedules:read",
    "bookings:read", "bookings:create", "bookings:update", "payments:read",
    "payments:create", "products:read", "loyalty:read", "offers:read",
}  # fmt: skip


@pytest.fixture
def app(database_url: str, engine: AsyncEngine, db: Any) -> FastAPI:
    return rbac_app(database_url, engine)


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    return await signed_in(app, db, role="admin")


async def test_roles_are_listed_with_state_and_permissions_across_pages(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    seen: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(ROLES, headers=admin.headers, params=params)).json()
        assert len(page["items"]) <= 2
        seen.update({item["name"]: item for item in page["items"]})
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert set(seen) == {"admin", "manager", "receptionist", "staff", "customer"}
    assert seen["admin"]["permissions"] == await all_permissions(db)
    assert set(seen["receptionist"]["permissions"]) == RECEPTIONIST
    assert seen["customer"]["permissions"] == []
    assert all(item["is_system"] and item["is_active"] for item in seen.values())
    one = await client.get(f"{ROLES}/{seen['staff']['id']}", headers=admin.headers)
    assert one.status_code == 200
    assert one.json() == seen["staff"]
    problem(await client.get(f"{ROLES}/{new_id()}", headers=admin.headers), 404, "not_found")


async def test_the_role_list_filters_on_activity(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    await make_role(db, "retired", [], is_active=False)
    inactive = await client.get(ROLES, headers=admin.headers, params={"is_active": False})
    assert [item["name"] for item in inactive.json()["items"]] == ["retired"]
    active = await client.get(ROLES, headers=admin.headers, params={"is_active": True})
    assert "retired" not in {item["name"] for item in active.json()["items"]}


async def test_creating_a_role_is_audited_and_names_are_unique(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    body = {"name": "front-desk_2", "description": "Evening desk"}
    created = await client.post(ROLES, headers=admin.headers, json=body)
    assert created.status_code == 201, created.text
    role = created.json()
    assert (role["name"], role["description"], role["is_active"]) == (*body.values(), True)
    assert (role["is_system"], role["permissions"]) == (False, [])
    [row] = await audit_rows(db, "rbac.role_create")
    assert (row.user_id, row.resource, row.success) == (admin.user_id, f"role:{role['id']}", True)
    assert row.details == {
        "after": {"name": "front-desk_2", "description": "Evening desk", "is_active": True}
    }
    again = await client.post(ROLES, headers=admin.headers, json={"name": "front-desk_2"})
    problem(again, 409, "role_exists")
    problem(
        await client.post(ROLES, headers=admin.headers, json={"name": "manager"}),
        409,
        "role_exists",
    )


@pytest.mark.parametrize(
    "name", ["Manager", "x", "9lives", "has space", "a" * 65, "_lead", "café", "semi;colon"]
)
async def test_role_names_are_lowercase_slugs(
    client: httpx.AsyncClient, admin: Caller, name: str
) -> None:
    problem(
        await client.post(ROLES, headers=admin.headers, json={"name": name}),
        422,
        "validation_failed",
    )


@pytest.mark.parametrize("field", ["is_system", "permissions", "id"])
async def test_role_bodies_refuse_unknown_fields(
    client: httpx.AsyncClient, admin: Caller, field: str
) -> None:
    body = {"name": "sneaky", field: {"is_system": True, "permissions": ["*"], "id": "x"}[field]}
    problem(await client.post(ROLES, headers=admin.headers, json=body), 422, "validation_failed")


async def test_a_custom_role_is_renamed_described_and_deactivated_with_before_and_after(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    rid = await make_role(db, "desk", ["customers:read"])
    url = f"{ROLES}/{rid}"
    clock.advance(timedelta(minutes=3))
    changed = await client.patch(
        url,
        headers=admin.headers,
        json={"name": "night-desk", "description": "Nights", "is_active": False},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["description"], body["is_active"]) == ("night-desk", "Nights", False)
    assert body["permissions"] == ["customers:read"]
    assert body["updated_at"] == "2026-03-02T09:03:00Z"
    assert body["created_at"] == "2026-03-02T09:00:00Z"
    [row] = await audit_rows(db, "rbac.role_update")
    assert row.details == {
        "before": {"name": "desk", "description": None, "is_active": True},
        "after": {"name": "night-desk", "description": "Nights", "is_active": False},
    }
    assert row.user_id == admin.user_id
    cleared = await client.patch(url, headers=admin.headers, json={"description": None})
    assert cleared.json()["description"] is None
    untouched = await client.patch(url, headers=admin.headers, json={})
    assert untouched.json()["name"] == "night-desk"
    assert len(await audit_rows(db, "rbac.role_update")) == 2  # an empty change is not audited
    clash = await client.patch(url, headers=admin.headers, json={"name": "staff"})
    problem(clash, 409, "role_exists")


async def test_a_system_role_keeps_its_name_but_its_description_may_change(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    url = f"{ROLES}/{await role_id(db, 'manager')}"
    problem(
        await client.patch(url, headers=admin.headers, json={"name": "boss"}), 409, "system_role"
    )
    same = await client.patch(
        url, headers=admin.headers, json={"name": "manager", "description": "Runs it"}
    )
    assert same.status_code == 200
    assert (same.json()["name"], same.json()["description"]) == ("manager", "Runs it")
    off = await client.patch(url, headers=admin.headers, json={"is_active": False})
    assert off.status_code == 200
    assert off.json()["is_active"] is False


async def test_deleting_a_custom_role_removes_its_links_and_system_roles_stay(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    rid = await make_role(db, "temp", ["customers:read", "bookings:read"])
    holder = await signed_in(app, db, role="temp")
    deleted = await client.delete(f"{ROLES}/{rid}", headers=admin.headers)
    assert deleted.status_code == 204, deleted.text
    async with db() as session:
        assert await session.get(Role, rid) is None
        for link in (RolePermission, UserRole):
            count = select(func.count()).select_from(link).where(link.role_id == rid)
            assert await session.scalar(count) == 0
    [row] = await audit_rows(db, "rbac.role_delete")
    assert row.details is not None
    assert row.details["before"]["permissions"] == ["bookings:read", "customers:read"]
    assert row.details["unassigned_users"] == [str(holder.user_id)]
    problem(await client.delete(f"{ROLES}/{rid}", headers=admin.headers), 404, "not_found")
    system = f"{ROLES}/{await role_id(db, 'staff')}"
    problem(await client.delete(system, headers=admin.headers), 409, "system_role")


async def test_setting_permissions_replaces_the_list_exactly_and_is_audited(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    rid = await make_role(db, "desk", ["customers:read", "bookings:read"])
    url = f"{ROLES}/{rid}/permissions"
    wanted = ["payments:read", "customers:read", "payments:read"]
    response = await client.put(url, headers=admin.headers, json={"permissions": wanted})
    assert response.status_code == 200, response.text
    assert response.json()["permissions"] == ["customers:read", "payments:read"]
    [row] = await audit_rows(db, "rbac.role_permissions_set")
    assert row.details == {
        "added": ["payments:read"],
        "removed": ["bookings:read"],
        "before": ["bookings:read", "customers:read"],
        "after": ["customers:read", "payments:read"],
    }
    emptied = await client.put(url, headers=admin.headers, json={"permissions": []})
    assert emptied.json()["permissions"] == []
    same = await client.put(url, headers=admin.headers, json={"permissions": []})
    assert same.status_code == 200
    assert len(await audit_rows(db, "rbac.role_permissions_set")) == 2  # no change, no row


async def test_unknown_permission_names_are_a_422_that_names_them(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    url = f"{ROLES}/{await role_id(db, 'staff')}/permissions"
    body = {"permissions": ["customers:read", "bookings:fly", "zzz:top"]}
    refused = problem(
        await client.put(url, headers=admin.headers, json=body), 422, "unknown_permission"
    )
    assert refused["permissions"] == ["bookings:fly", "zzz:top"]


async def test_system_roles_can_be_extended_but_admin_keeps_everything(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    staff = f"{ROLES}/{await role_id(db, 'staff')}/permissions"
    extended = sorted({*RECEPTIONIST, "payments:refund"})
    response = await client.put(staff, headers=admin.headers, json={"permissions": extended})
    assert response.status_code == 200
    assert response.json()["permissions"] == extended
    admin_url = f"{ROLES}/{await role_id(db, 'admin')}/permissions"
    everything = await all_permissions(db)
    short = [name for name in everything if name != "audit_logs:verify"]
    refused = await client.put(admin_url, headers=admin.headers, json={"permissions": short})
    assert problem(refused, 409, "admin_role_incomplete")["missing_permissions"] == [
        "audit_logs:verify"
    ]
    kept = await client.put(admin_url, headers=admin.headers, json={"permissions": everything})
    assert kept.status_code == 200
    assert kept.json()["permissions"] == everything


async def test_every_permission_is_listed_with_resource_and_action(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.get(PERMISSIONS, headers=admin.headers)
    assert response.status_code == 200
    listed = response.json()
    assert [item["name"] for item in listed] == await all_permissions(db)
    refund = next(item for item in listed if item["name"] == "payments:refund")
    assert refund == {
        "name": "payments:refund",
        "resource": "payments",
        "action": "refund",
        "description": "Refund payments",
    }


async def test_callers_need_the_right_permission(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    rid = await role_id(db, "staff")
    assert (await client.get(ROLES)).status_code == 401
    nobody = await signed_in(app, db)
    problem(await client.get(ROLES, headers=nobody.headers), 403, "permission_denied")
    problem(await client.get(PERMISSIONS, headers=nobody.headers), 403, "permission_denied")
    await make_role(db, "reader", ["roles:read"])
    reader = await signed_in(app, db, role="reader")
    assert (await client.get(f"{ROLES}/{rid}", headers=reader.headers)).status_code == 200
    refused = await client.patch(
        f"{ROLES}/{rid}", headers=reader.headers, json={"description": "x"}
    )
    assert problem(refused, 403, "permission_denied")["permission"] == "roles:manage"
    refused = await client.post(ROLES, headers=reader.headers, json={"name": "mine"})
    assert problem(refused, 403, "permission_denied")["permission"] == "roles:manage"
    assert (await client.get(PERMISSIONS, headers=reader.headers)).status_code == 403


async def test_the_assign_role_helper_is_idempotent(db: async_sessionmaker[AsyncSession]) -> None:
    """``assign_role`` (seeding, the CLI, tests) may run twice for one user and role."""
    async with transaction(db) as session:
        user = await factories.user(session)
        assert await assign_role(session, user.id, "staff", assigned_by=None) is True
        assert await assign_role(session, user.id, "staff", assigned_by=None) is False
    async with db() as session:
        count = select(func.count()).select_from(UserRole).where(UserRole.user_id == user.id)
        assert await session.scalar(count) == 1
