"""frontdesk rbac sync: idempotent, adds what the code declares, deletes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.catalog import PERMISSIONS
from frontdesk.core.permissions import REGISTRY, PermissionDef
from frontdesk.security.rbac.models import Permission, Role, RolePermission
from frontdesk.security.rbac.sync import sync_permissions


async def test_a_migrated_database_is_already_in_line(session: AsyncSession) -> None:
    report = await sync_permissions(session)
    assert report.added == []
    assert report.updated == []
    assert report.undeclared == []


async def test_sync_restores_a_missing_permission_with_its_default_grants(
    session: AsyncSession,
) -> None:
    await session.execute(delete(Permission).where(Permission.name == "bookings:read"))
    report = await sync_permissions(session)
    assert report.added == ["bookings:read"]
    assert sorted(report.granted) == [
        "admin:bookings:read", "manager:bookings:read",
        "receptionist:bookings:read", "staff:bookings:read",
    ]  # fmt: skip
    assert (await sync_permissions(session)).added == []  # idempotent


async def test_sync_keeps_permissions_the_code_no_longer_declares(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(REGISTRY, "ads:manage")
    report = await sync_permissions(session)
    assert report.undeclared == ["ads:manage"]
    assert await session.scalar(select(Permission.id).where(Permission.name == "ads:manage"))


async def test_sync_adds_a_newly_declared_permission_to_admin_only_when_so_defined(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        REGISTRY, "audit_logs:export", PermissionDef("audit_logs", "export", "Export audit rows")
    )
    report = await sync_permissions(session)
    assert report.added == ["audit_logs:export"]
    assert report.granted == ["admin:audit_logs:export"]  # security administration
    count = await session.scalar(
        select(func.count())
        .select_from(RolePermission)
        .join(Role, Role.id == RolePermission.role_id)
        .where(Role.name == "admin")
    )
    assert count == len(PERMISSIONS)
