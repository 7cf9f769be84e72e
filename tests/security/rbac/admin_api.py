"""Helpers for the access-control admin API tests: the app, callers, roles, audit rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.app import create_app
from frontdesk.core.db import transaction
from frontdesk.security.audit.models import AuditLog
from frontdesk.security.rbac.models import Permission, Role, RolePermission
from frontdesk.security.rbac.router import router
from tests.conftest import make_settings
from tests.security.audit.callers import Caller, signed_in

API = "/api/v1/admin"
ROLES = f"{API}/roles"
PERMISSIONS = f"{API}/permissions"

__all__ = ["API", "PERMISSIONS", "ROLES", "Caller", "signed_in"]


def rbac_app(database_url: str, engine: AsyncEngine) -> FastAPI:
    """The app, serving the access-control router even before app.py mounts it."""
    app = create_app(make_settings(database_url), engine=engine)
    if not any(getattr(r, "path", "").startswith("/api/v1/admin/roles") for r in app.routes):
        app.include_router(router, prefix="/api/v1")
    return app


def user_roles(user_id: uuid.UUID) -> str:
    return f"{API}/users/{user_id}/roles"


def user_grants(user_id: uuid.UUID) -> str:
    return f"{API}/users/{user_id}/permissions"


def effective(user_id: uuid.UUID) -> str:
    return f"{API}/users/{user_id}/effective-permissions"


async def make_role(
    db: async_sessionmaker[AsyncSession],
    name: str,
    permissions: Iterable[str],
    *,
    is_active: bool = True,
) -> uuid.UUID:
    """A committed custom role with exactly ``permissions``."""
    async with transaction(db) as session:
        role = Role(name=name, is_active=is_active, is_system=False)
        session.add(role)
        await session.flush()
        ids = await session.scalars(select(Permission.id).where(Permission.name.in_(permissions)))
        session.add_all(RolePermission(role_id=role.id, permission_id=pid) for pid in ids)
        return role.id


async def all_permissions(db: async_sessionmaker[AsyncSession]) -> list[str]:
    async with db() as session:
        return sorted(await session.scalars(select(Permission.name)))


async def role_id(db: async_sessionmaker[AsyncSession], name: str) -> uuid.UUID:
    async with db() as session:
        found = await session.scalar(select(Role.id).where(Role.name == name))
        assert found is not None
        return found


async def audit_rows(db: async_sessionmaker[AsyncSession], action: str) -> list[AuditLog]:
    async with db() as session:
        query = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.sequence)
        return list(await session.scalars(query))


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The problem body, after checking its status and machine code."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body
