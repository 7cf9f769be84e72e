"""Bring the ``permissions`` table in line with the permissions declared in code.

Idempotent: adds what is missing, refreshes descriptions, grants each system role its
default share of new permissions, and reports (never deletes) permissions the code no
longer declares, since grants may still point at them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core import clock
from frontdesk.core.permissions import REGISTRY
from frontdesk.security.rbac.models import Permission, Role, RolePermission
from frontdesk.security.rbac.roles import SYSTEM_ROLES


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    undeclared: list[str] = field(default_factory=list)
    granted: list[str] = field(default_factory=list)


async def sync_permissions(session: AsyncSession) -> SyncReport:
    report = SyncReport()
    existing = {row.name: row for row in (await session.scalars(select(Permission))).all()}
    now = clock.now()
    for name, definition in sorted(REGISTRY.items()):
        row = existing.get(name)
        if row is None:
            row = Permission(
                name=name,
                resource=definition.resource,
                action=definition.action,
                description=definition.description,
                created_at=now,
            )
            session.add(row)
            existing[name] = row
            report.added.append(name)
        elif row.description != definition.description:
            row.description = definition.description
            report.updated.append(name)
    await session.flush()
    report.undeclared = sorted(set(existing) - set(REGISTRY))
    await _grant_new_defaults(session, report, existing)
    return report


async def _grant_new_defaults(
    session: AsyncSession, report: SyncReport, permissions: dict[str, Permission]
) -> None:
    """Only newly added permissions get default grants: changed grants are left as set."""
    if not report.added:
        return
    roles = {row.name: row for row in (await session.scalars(select(Role))).all()}
    for role in SYSTEM_ROLES:
        row = roles.get(role.name)
        if row is None:
            continue
        for name in report.added:
            if role.grants(REGISTRY[name]):
                session.add(RolePermission(role_id=row.id, permission_id=permissions[name].id))
                report.granted.append(f"{role.name}:{name}")
    await session.flush()
