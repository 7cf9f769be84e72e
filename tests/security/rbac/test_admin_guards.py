"""The guard rails: no privilege escalation, and never zero active admins (also under
concurrent requests)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import open_session, transaction
from frontdesk.security.auth.models import User
from frontdesk.security.rbac.models import Role, UserPermission, UserRole
from frontdesk.security.rbac.service import (
    LastAdminError,
    count_active_admins,
    ensure_admin_remains,
)
from tests.security.rbac.admin_api import (
    ROLES,
    Caller,
    all_permissions,
    audit_rows,
    make_role,
    problem,
    rbac_app,
    role_id,
    signed_in,
    user_grants,
    user_roles,
)

HELPDESK = [
    "permissions:grant", "permissions:read", "roles:manage", "roles:read",
    "customers:read", "bookings:read",
]  # fmt: skip


@pytest.fixture
def app(database_url: str, engine: AsyncEngine, db: Any) -> FastAPI:
    return rbac_app(database_url, engine)


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    return await signed_in(app, db, role="admin")


@pytest.fixture
async def helpdesk(app: FastAPI, db: async_sessionmaker[AsyncSession], admin: Caller) -> Caller:
    """May grant and manage roles, but holds neither payments:refund nor most else."""
    await make_role(db, "helpdesk", HELPDESK)
    return await signed_in(app, db, role="helpdesk")


async def _escalation(response: httpx.Response) -> list[str]:
    missing: list[str] = problem(response, 403, "escalation_refused")["missing_permissions"]
    assert all(name in response.json()["detail"] for name in missing)
    return missing


async def test_a_direct_grant_needs_the_permission_held_and_a_refusal_is_audited(
    app: FastAPI,
    client: httpx.AsyncClient,
    helpdesk: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    target = await signed_in(app, db)
    url = user_grants(target.user_id)
    refused = await client.post(
        url, headers=helpdesk.headers, json={"permission": "payments:refund"}
    )
    assert await _escalation(refused) == ["payments:refund"]
    [row] = await audit_rows(db, "rbac.escalation_refused")
    assert (row.user_id, row.success, row.resource) == (
        helpdesk.user_id,
        False,
        f"user:{target.user_id}",
    )
    assert row.details == {"missing": ["payments:refund"]}
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(UserPermission)) == 0
    held = await client.post(url, headers=helpdesk.headers, json={"permission": "customers:read"})
    assert held.status_code == 201


async def test_a_role_is_given_or_taken_only_by_someone_holding_all_it_grants(
    app: FastAPI,
    client: httpx.AsyncClient,
    helpdesk: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    await make_role(db, "desk", ["customers:read", "bookings:read"])
    target = await signed_in(app, db, role="staff")
    url = user_roles(target.user_id)
    refused = await client.post(url, headers=helpdesk.headers, json={"role": "admin"})
    everything = await all_permissions(db)
    assert await _escalation(refused) == sorted(set(everything) - set(HELPDESK))
    refused = await client.post(url, headers=helpdesk.headers, json={"role": "receptionist"})
    assert "payments:create" in await _escalation(refused)
    for role in ("desk", "helpdesk"):
        given = await client.post(url, headers=helpdesk.headers, json={"role": role})
        assert given.status_code == 201, given.text
    taken = await client.delete(f"{url}/staff", headers=helpdesk.headers)
    assert await _escalation(taken) == [
        "bookings:update",
        "loyalty:read",
        "products:read",
        "schedules:read",
    ]
    assert (await client.delete(f"{url}/desk", headers=helpdesk.headers)).status_code == 204
    async with db() as session:
        held = select(func.count()).select_from(UserRole).where(UserRole.user_id == target.user_id)
        assert await session.scalar(held) == 2  # staff and helpdesk


async def test_a_role_gets_only_permissions_the_caller_holds(
    client: httpx.AsyncClient, helpdesk: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    own = f"{ROLES}/{await role_id(db, 'helpdesk')}/permissions"
    body = {"permissions": [*HELPDESK, "payments:refund"]}
    assert await _escalation(await client.put(own, headers=helpdesk.headers, json=body)) == [
        "payments:refund"
    ]
    desk = f"{ROLES}/{await make_role(db, 'desk', [])}/permissions"
    body = {"permissions": ["customers:read", "bookings:read"]}
    assert (await client.put(desk, headers=helpdesk.headers, json=body)).status_code == 200
    body = {"permissions": ["customers:read", "users:create", "sessions:revoke_any"]}
    missing = await _escalation(await client.put(desk, headers=helpdesk.headers, json=body))
    assert missing == ["sessions:revoke_any", "users:create"]


async def test_reactivating_a_role_needs_every_permission_it_grants(
    client: httpx.AsyncClient, helpdesk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    refunds = f"{ROLES}/{await make_role(db, 'refunds', ['payments:refund'], is_active=False)}"
    body = {"is_active": True}
    assert await _escalation(await client.patch(refunds, headers=helpdesk.headers, json=body)) == [
        "payments:refund"
    ]
    desk = f"{ROLES}/{await make_role(db, 'desk', ['customers:read'])}"
    off = await client.patch(desk, headers=helpdesk.headers, json={"is_active": False})
    assert off.json()["is_active"] is False
    on = await client.patch(desk, headers=helpdesk.headers, json={"is_active": True})
    assert on.json()["is_active"] is True
    by_admin = await client.patch(refunds, headers=admin.headers, json=body)
    assert by_admin.json()["is_active"] is True


async def test_revoking_a_grant_needs_its_permission_held(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    helpdesk: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    target = await signed_in(app, db)
    url = user_grants(target.user_id)
    grant = await client.post(url, headers=admin.headers, json={"permission": "payments:refund"})
    revoke = f"{url}/{grant.json()['id']}"
    assert await _escalation(await client.delete(revoke, headers=helpdesk.headers)) == [
        "payments:refund"
    ]
    assert (await client.delete(revoke, headers=admin.headers)).status_code == 204


async def test_the_last_admin_cannot_lose_the_admin_role(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    own = f"{user_roles(admin.user_id)}/admin"
    assert (
        "last active admin"
        in problem(await client.delete(own, headers=admin.headers), 409, "last_admin")["detail"]
    )
    second = await signed_in(app, db, role="admin")
    assert (
        await client.delete(f"{user_roles(second.user_id)}/admin", headers=admin.headers)
    ).status_code == 204
    problem(await client.delete(own, headers=admin.headers), 409, "last_admin")
    async with db() as session:
        assert await count_active_admins(session) == 1
    assert await audit_rows(db, "rbac.role_unassign")  # the one that happened


async def test_inactive_admin_accounts_do_not_count(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    dormant = await signed_in(app, db, role="admin")
    async with transaction(db) as session:
        await session.execute(
            update(User).where(User.id == dormant.user_id).values(is_active=False)
        )
    own = f"{user_roles(admin.user_id)}/admin"
    problem(await client.delete(own, headers=admin.headers), 409, "last_admin")
    # Taking admin from an account that is already inactive leaves the count alone.
    dormant_url = f"{user_roles(dormant.user_id)}/admin"
    assert (await client.delete(dormant_url, headers=admin.headers)).status_code == 204


async def test_the_admin_role_cannot_be_deactivated_but_can_be_described(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    url = f"{ROLES}/{await role_id(db, 'admin')}"
    problem(
        await client.patch(url, headers=admin.headers, json={"is_active": False}), 409, "last_admin"
    )
    described = await client.patch(url, headers=admin.headers, json={"description": "All of it"})
    assert described.status_code == 200
    assert (described.json()["is_active"], described.json()["description"]) == (True, "All of it")
    async with db() as session:
        assert await session.scalar(select(Role.is_active).where(Role.name == "admin")) is True


async def test_ensure_admin_remains_guards_account_deactivation(
    app: FastAPI, db: async_sessionmaker[AsyncSession], admin: Caller
) -> None:
    """The check the account routes call before deactivating a user."""
    other = await signed_in(app, db, role="staff")
    admin_role = await role_id(db, "admin")
    async with open_session(db, write=True) as session:
        await ensure_admin_remains(session, removing_user_id=other.user_id)
        await ensure_admin_remains(session, deactivating_role_id=await role_id(db, "staff"))
        with pytest.raises(LastAdminError):
            await ensure_admin_remains(session, removing_user_id=admin.user_id)
        with pytest.raises(LastAdminError):
            await ensure_admin_remains(session, deactivating_role_id=admin_role)
        # Already flushed deactivation: still refused.
        user = await session.get(User, admin.user_id)
        assert user is not None
        user.is_active = False
        await session.flush()
        with pytest.raises(LastAdminError):
            await ensure_admin_remains(session, removing_user_id=admin.user_id)
        await session.rollback()
    second = await signed_in(app, db, role="admin")
    async with open_session(db, write=True) as session:
        await ensure_admin_remains(session, removing_user_id=admin.user_id)
        await ensure_admin_remains(session, removing_user_id=second.user_id)
        with pytest.raises(LastAdminError):
            await ensure_admin_remains(session, deactivating_role_id=admin_role)


async def test_two_concurrent_removals_of_two_admins_leave_one(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    # The caller holds everything through a custom role, so it is not an admin itself.
    await make_role(db, "security", await all_permissions(db))
    caller = await signed_in(app, db, role="security")
    admins = [await signed_in(app, db, role="admin") for _ in range(2)]
    # Each request runs in its own session on its own pooled connection.
    responses = await asyncio.gather(
        *(client.delete(f"{user_roles(a.user_id)}/admin", headers=caller.headers) for a in admins)
    )
    assert sorted(r.status_code for r in responses) == [204, 409], [r.text for r in responses]
    assert [r.json()["code"] for r in responses if r.status_code == 409] == ["last_admin"]
    async with db() as session:
        assert await count_active_admins(session) == 1


async def _deactivate_admin(db: async_sessionmaker[AsyncSession], user: Caller) -> bool:
    """What the account route does: the guard, then the change, in one transaction."""
    try:
        async with transaction(db) as session:
            await ensure_admin_remains(session, removing_user_id=user.user_id)
            await session.execute(
                update(User).where(User.id == user.user_id).values(is_active=False)
            )
    except LastAdminError:
        return False
    return True


async def test_concurrent_account_deactivations_of_two_admins_leave_one(
    app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    admins = [await signed_in(app, db, role="admin") for _ in range(2)]
    outcomes = await asyncio.gather(*(_deactivate_admin(db, a) for a in admins))
    assert sorted(outcomes) == [False, True]
    async with db() as session:
        assert await count_active_admins(session) == 1
