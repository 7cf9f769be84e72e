"""Roles, role assignments and direct grants, and the two rules that guard them.

- No escalation: a caller gives (and takes back) only permissions they hold themselves.
- Never zero admins: :func:`ensure_admin_remains` serializes on the admin role row
  (``SELECT ... FOR NO KEY UPDATE`` on PostgreSQL, which blocks other guards but not the
  foreign-key checks of new links; SQLite writers hold the lock from ``BEGIN IMMEDIATE``),
  so two concurrent removals take turns and the second one sees the first.

Functions only flush. Callers write a change's audit row after the call (refusals of
escalation are audited here, in their own transaction), so locks are always taken in one
order: role rows first, the audit chain last.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core import clock
from frontdesk.core.db import dialect_insert
from frontdesk.core.deps import persist_on_failure
from frontdesk.core.errors import AppError, NotFoundError, register_code, register_constraint
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service as audit
from frontdesk.security.auth.models import User
from frontdesk.security.rbac import schemas
from frontdesk.security.rbac.deps import effective_permissions_query
from frontdesk.security.rbac.models import (
    Permission,
    Role,
    RolePermission,
    UserPermission,
    UserRole,
)

ADMIN_ROLE = "admin"


class RoleExistsError(AppError):
    error = register_code("role_exists", 409, "A role with this name exists")


class SystemRoleError(AppError):
    error = register_code("system_role", 409, "System roles cannot be renamed or deleted")


class AdminRoleIncompleteError(AppError):
    error = register_code("admin_role_incomplete", 409, "The admin role keeps every permission")


class LastAdminError(AppError):
    error = register_code("last_admin", 409, "The last active admin cannot lose admin")


class EscalationRefusedError(AppError):
    error = register_code("escalation_refused", 403, "Privilege escalation refused")


class UnknownPermissionError(AppError):
    error = register_code("unknown_permission", 422, "Unknown permission")


class UnknownRoleError(AppError):
    error = register_code("unknown_role", 422, "Unknown role")


class ExpiryNotInFutureError(AppError):
    error = register_code("expiry_not_in_future", 422, "The expiry must be in the future")


# A concurrent create or rename with the same name (PostgreSQL; SQLite writers take turns).
register_constraint("uq_roles_name", RoleExistsError)


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and from where (for the audit row of a refusal)."""

    user_id: uuid.UUID
    meta: RequestMeta | None = None


async def _permission_ids(session: AsyncSession, names: Iterable[str]) -> dict[str, uuid.UUID]:
    """Name -> id for ``names``; unknown names are one 422 that lists them all."""
    wanted = set(names)
    rows = await session.execute(
        select(Permission.name, Permission.id).where(Permission.name.in_(wanted))
    )
    found = dict(rows.all())
    unknown = sorted(wanted - found.keys())
    if unknown:
        raise UnknownPermissionError(
            f"No such permission: {', '.join(unknown)}.", permissions=unknown
        )
    return found


async def held_permissions(session: AsyncSession, user_id: uuid.UUID) -> frozenset[str]:
    """The user's effective permissions now: the query every request's guard runs."""
    rows = await session.execute(effective_permissions_query(user_id, clock.now()))
    return frozenset(row[0] for row in rows)


async def ensure_holds(
    session: AsyncSession, actor: Actor, needed: Iterable[str], *, resource: str
) -> None:
    """403 ``escalation_refused`` naming what ``actor`` lacks of ``needed``; audited."""
    missing = sorted(set(needed) - await held_permissions(session, actor.user_id))
    if not missing:
        return
    persist_on_failure(
        session,
        partial(
            audit.record,
            action="rbac.escalation_refused",
            success=False,
            actor_id=actor.user_id,
            resource=resource,
            details={"missing": missing},
            meta=actor.meta,
        ),
    )
    raise EscalationRefusedError(
        f"You can only give or take permissions you hold; missing: {', '.join(missing)}.",
        missing_permissions=missing,
    )


def _admin_links(*, active_users: bool) -> Any:
    query = (
        select(func.count())
        .select_from(UserRole)
        .join(Role, Role.id == UserRole.role_id)
        .where(Role.name == ADMIN_ROLE, Role.is_active.is_(True))
    )
    if active_users:
        query = query.join(User, User.id == UserRole.user_id).where(User.is_active.is_(True))
    return query


async def count_active_admins(session: AsyncSession, *, excluding: uuid.UUID | None = None) -> int:
    query = _admin_links(active_users=True)
    if excluding is not None:
        query = query.where(UserRole.user_id != excluding)
    return int(await session.scalar(query) or 0)


async def ensure_admin_remains(
    session: AsyncSession,
    *,
    removing_user_id: uuid.UUID | None = None,
    deactivating_role_id: uuid.UUID | None = None,
) -> None:
    """409 ``last_admin`` if the change would leave no active admin.

    ``removing_user_id`` is about to stop counting as an admin (losing the role or being
    deactivated; whether the deactivation is flushed yet does not matter);
    ``deactivating_role_id`` is about to be deactivated. Call it before ``audit.record``
    in the same transaction: its lock on the admin role row lasts until the end.
    """
    admin_role_id = await session.scalar(
        select(Role.id).where(Role.name == ADMIN_ROLE).with_for_update(key_share=True)
    )
    if admin_role_id is None:
        return
    if deactivating_role_id == admin_role_id and await count_active_admins(session) > 0:
        raise LastAdminError("Deactivating the admin role would leave no active admin.")
    if removing_user_id is None:
        return
    holds = await session.scalar(
        _admin_links(active_users=False).where(UserRole.user_id == removing_user_id)
    )
    if holds and await count_active_admins(session, excluding=removing_user_id) == 0:
        raise LastAdminError("This is the last active admin; make someone else admin first.")


async def permission_names(
    session: AsyncSession, role_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Role id -> its permission names, sorted (roles without any are absent)."""
    rows = await session.execute(
        select(RolePermission.role_id, Permission.name)
        .join(Permission, Permission.id == RolePermission.permission_id)
        .where(RolePermission.role_id.in_(role_ids))
        .order_by(Permission.name)
    )
    names: dict[uuid.UUID, list[str]] = defaultdict(list)
    for role_id, name in rows:
        names[role_id].append(name)
    return names


async def role_permissions(session: AsyncSession, role: Role) -> list[str]:
    return (await permission_names(session, [role.id])).get(role.id, [])


async def get_role(session: AsyncSession, role_id: uuid.UUID, *, lock: bool = False) -> Role:
    """The role; ``lock`` makes concurrent changes of one role take turns (PostgreSQL)."""
    for_update = {"key_share": True} if lock else None
    role = await session.get(Role, role_id, with_for_update=for_update, populate_existing=lock)
    if role is None:
        raise NotFoundError("No such role.")
    return role


async def _ensure_name_free(session: AsyncSession, name: str) -> None:
    if await session.scalar(select(Role.id).where(Role.name == name)) is not None:
        raise RoleExistsError(f"A role named {name!r} exists.")


def snapshot(role: Role) -> dict[str, Any]:
    return {"name": role.name, "description": role.description, "is_active": role.is_active}


async def create_role(session: AsyncSession, actor: Actor, data: schemas.RoleCreate) -> Role:
    await _ensure_name_free(session, data.name)
    role = Role(name=data.name, description=data.description, is_active=data.is_active)
    role.is_system = False
    session.add(role)
    await session.flush()
    return role


async def update_role(
    session: AsyncSession, actor: Actor, role: Role, data: schemas.RoleUpdate
) -> Role:
    """Rename (not a system role), describe, deactivate (not the last admins' role) or
    reactivate (only by someone who holds every permission the role grants)."""
    before = snapshot(role)
    if data.name is not None and data.name != role.name:
        if role.is_system:
            raise SystemRoleError(f"The system role {role.name!r} cannot be renamed.")
        await _ensure_name_free(session, data.name)
        role.name = data.name
    if "description" in data.model_fields_set:
        role.description = data.description
    if data.is_active is False and role.is_active:
        await ensure_admin_remains(session, deactivating_role_id=role.id)
        role.is_active = False
    elif data.is_active is True and not role.is_active:
        granted = await role_permissions(session, role)
        await ensure_holds(session, actor, granted, resource=f"role:{role.id}")
        role.is_active = True
    if snapshot(role) != before:
        await session.flush()
    return role


async def delete_role(session: AsyncSession, role: Role) -> list[uuid.UUID]:
    """Delete a custom role with its grants and assignments; the users who held it."""
    if role.is_system:
        raise SystemRoleError(f"The system role {role.name!r} cannot be deleted.")
    holders = list(
        await session.scalars(select(UserRole.user_id).where(UserRole.role_id == role.id))
    )
    await session.execute(delete(UserRole).where(UserRole.role_id == role.id))
    await session.execute(delete(RolePermission).where(RolePermission.role_id == role.id))
    await session.delete(role)
    await session.flush()
    return holders


async def set_role_permissions(
    session: AsyncSession, actor: Actor, role: Role, names: Iterable[str]
) -> tuple[list[str], list[str]]:
    """Make ``names`` exactly the role's permissions (``actor`` must hold every one);
    the sorted lists before and after."""
    ids = await _permission_ids(session, names)
    if role.name == ADMIN_ROLE:
        lacking = sorted(set(await session.scalars(select(Permission.name))) - ids.keys())
        if lacking:
            raise AdminRoleIncompleteError(
                f"The admin role keeps every permission; missing: {', '.join(lacking)}.",
                missing_permissions=lacking,
            )
    await ensure_holds(session, actor, ids, resource=f"role:{role.id}")
    current = await role_permissions(session, role)
    removed, added = sorted(set(current) - ids.keys()), sorted(ids.keys() - set(current))
    if not (removed or added):
        return current, current
    if removed:
        removed_ids = (await _permission_ids(session, removed)).values()
        await session.execute(
            delete(RolePermission).where(
                RolePermission.role_id == role.id, RolePermission.permission_id.in_(removed_ids)
            )
        )
    session.add_all(
        RolePermission(role_id=role.id, permission_id=ids[name], granted_by=actor.user_id)
        for name in added
    )
    await session.flush()
    return current, sorted(ids)


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFoundError("No such user.")
    return user


async def user_role_names(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    query = select(Role.name).join(UserRole, UserRole.role_id == Role.id)
    return list(await session.scalars(query.where(UserRole.user_id == user_id).order_by(Role.name)))


async def _link(
    session: AsyncSession, user_id: uuid.UUID, role_id: uuid.UUID, assigned_by: uuid.UUID | None
) -> bool:
    """Insert the user-role link unless it exists (race-free); True if it was new."""
    await session.flush()  # a user created in this unit of work must exist first
    conn = await session.connection()
    statement = (
        dialect_insert(conn.dialect.name, UserRole)
        .values(user_id=user_id, role_id=role_id, assigned_by=assigned_by, created_at=clock.now())
        .on_conflict_do_nothing()
    )
    return bool((await conn.execute(statement)).rowcount == 1)


async def assign_role(
    session: AsyncSession, user_id: uuid.UUID, role_name: str, *, assigned_by: uuid.UUID | None
) -> bool:
    """Give the user the role, unchecked and unaudited (seeding, the CLI); idempotent."""
    role_id = await session.scalar(select(Role.id).where(Role.name == role_name))
    if role_id is None:
        raise NotFoundError(f"No role named {role_name!r}.")
    return await _link(session, user_id, role_id, assigned_by)


async def _managed_role(
    session: AsyncSession, actor: Actor, user_id: uuid.UUID, role_name: str, unknown: type[AppError]
) -> Role:
    """The named role, for a change to ``user_id`` by someone holding all it grants."""
    await _user(session, user_id)
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role is None:
        raise unknown(f"No role named {role_name!r}.", role=role_name)
    granted = await role_permissions(session, role)
    await ensure_holds(session, actor, granted, resource=f"user:{user_id}")
    return role


async def assign_user_role(
    session: AsyncSession, actor: Actor, user_id: uuid.UUID, role_name: str
) -> bool:
    """Assign a role whose every permission ``actor`` holds; False if already assigned."""
    role = await _managed_role(session, actor, user_id, role_name, UnknownRoleError)
    return await _link(session, user_id, role.id, actor.user_id)


async def unassign_user_role(
    session: AsyncSession, actor: Actor, user_id: uuid.UUID, role_name: str
) -> bool:
    """Take a role away (never the last active admin's); False if the user lacked it."""
    role = await _managed_role(session, actor, user_id, role_name, NotFoundError)
    if role.name == ADMIN_ROLE:
        await ensure_admin_remains(session, removing_user_id=user_id)
    conn = await session.connection()
    link = (UserRole.user_id == user_id, UserRole.role_id == role.id)
    return bool((await conn.execute(delete(UserRole).where(*link))).rowcount == 1)


async def grant_permission(
    session: AsyncSession, actor: Actor, user_id: uuid.UUID, data: schemas.GrantCreate
) -> schemas.GrantRead:
    """A direct grant of a permission ``actor`` holds, optionally until ``expires_at``."""
    await _user(session, user_id)
    ids = await _permission_ids(session, [data.permission])
    if data.expires_at is not None and data.expires_at <= clock.now():
        raise ExpiryNotInFutureError("expires_at must be in the future.")
    await ensure_holds(session, actor, ids, resource=f"user:{user_id}")
    grant = UserPermission(user_id=user_id, permission_id=ids[data.permission], is_active=True)
    grant.granted_by, grant.expires_at = actor.user_id, data.expires_at
    session.add(grant)
    await session.flush()
    return schemas.GrantRead.of(grant, data.permission)


async def revoke_grant(
    session: AsyncSession, actor: Actor, user_id: uuid.UUID, grant_id: uuid.UUID
) -> str | None:
    """Switch a direct grant off (the row stays): its permission, None if it already was."""
    permission = await session.scalar(
        select(Permission.name)
        .join(UserPermission, UserPermission.permission_id == Permission.id)
        .where(UserPermission.id == grant_id, UserPermission.user_id == user_id)
    )
    if permission is None:
        raise NotFoundError("No such grant for this user.")
    await ensure_holds(session, actor, [permission], resource=f"user:{user_id}")
    switch_off = update(UserPermission).where(
        UserPermission.id == grant_id, UserPermission.is_active.is_(True)
    )
    conn = await session.connection()  # conditional: of two revokes, one changes the row
    result = await conn.execute(switch_off.values(is_active=False, updated_at=clock.now()))
    return permission if result.rowcount == 1 else None


async def effective_permission_sources(
    session: AsyncSession, user_id: uuid.UUID
) -> list[schemas.EffectivePermissionRead]:
    """Each effective permission and where it comes from: the same set as
    :func:`frontdesk.security.rbac.deps.effective_permissions` (a test holds them equal)."""
    await _user(session, user_id)
    via_roles = await session.execute(
        select(Permission.name, Role.name)
        .join(RolePermission, RolePermission.permission_id == Permission.id)
        .join(Role, and_(Role.id == RolePermission.role_id, Role.is_active.is_(True)))
        .join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user_id)
    )
    direct = await session.execute(
        select(Permission.name, UserPermission.id, UserPermission.expires_at)
        .join(UserPermission, UserPermission.permission_id == Permission.id)
        .where(
            UserPermission.user_id == user_id,
            UserPermission.is_active.is_(True),
            or_(UserPermission.expires_at.is_(None), UserPermission.expires_at > clock.now()),
        )
        .order_by(UserPermission.id)
    )
    sources: dict[str, list[schemas.RoleSource | schemas.GrantSource]] = defaultdict(list)
    for permission, role in sorted(via_roles):
        sources[permission].append(schemas.RoleSource(role=role))
    for permission, grant_id, expires_at in direct:
        sources[permission].append(schemas.GrantSource(grant_id=grant_id, expires_at=expires_at))
    return [
        schemas.EffectivePermissionRead(permission=name, sources=found)
        for name, found in sorted(sources.items())
    ]
