"""The gate of every route: ``require("resource:action")`` or an explicit ``PUBLIC``.

Effective permissions = the permissions of the caller's active roles + their active,
unexpired direct grants, read in one query per request so any change applies on the
very next request, in every process.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import InstrumentedAttribute

from frontdesk.core import clock
from frontdesk.core.access import PERMISSION_ATTRIBUTE, PUBLIC
from frontdesk.core.errors import PermissionDeniedError
from frontdesk.core.fastread import CompiledRead
from frontdesk.core.permissions import REGISTRY, PermissionDef
from frontdesk.core.request_context import request_meta
from frontdesk.security.audit import service as audit
from frontdesk.security.auth.deps import (
    SESSION_LOOKUP,
    Principal,
    resolve_principal,
    resolved_principal,
)
from frontdesk.security.auth.models import EnhancedUserSession
from frontdesk.security.rbac.models import (
    Permission,
    Role,
    RolePermission,
    UserPermission,
    UserRole,
)


def effective_permissions_query(user_id: uuid.UUID, now: datetime) -> Any:
    via_roles = (
        select(Permission.name)
        .join(RolePermission, RolePermission.permission_id == Permission.id)
        .join(Role, and_(Role.id == RolePermission.role_id, Role.is_active.is_(True)))
        .join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user_id)
    )
    direct = (
        select(Permission.name)
        .join(UserPermission, UserPermission.permission_id == Permission.id)
        .where(
            UserPermission.user_id == user_id,
            UserPermission.is_active.is_(True),
            or_(UserPermission.expires_at.is_(None), UserPermission.expires_at > now),
        )
    )
    return union(via_roles, direct)


def _holds(user_id: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """True when ``user_id`` holds :perm through an active role or a live direct grant."""
    via_role: Select[Any] = (
        select(literal_column("1"))
        .select_from(RolePermission)
        .join(Permission, Permission.id == RolePermission.permission_id)
        .join(Role, and_(Role.id == RolePermission.role_id, Role.is_active.is_(True)))
        .join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user_id, Permission.name == bindparam("perm"))
    )
    via_grant: Select[Any] = (
        select(literal_column("1"))
        .select_from(UserPermission)
        .join(Permission, Permission.id == UserPermission.permission_id)
        .where(
            UserPermission.user_id == user_id,
            UserPermission.is_active.is_(True),
            or_(UserPermission.expires_at.is_(None), UserPermission.expires_at > bindparam("now")),
            Permission.name == bindparam("perm"),
        )
    )
    return or_(exists(via_role), exists(via_grant))


_HOLDS = select(_holds(bindparam("user_id")).label("holds"))
# The session lookup of every request, answering the route's permission in the same
# query: a guarded route costs one round trip, like a merely signed-in one.
_SESSION_HOLDS = SESSION_LOOKUP.add_columns(_holds(EnhancedUserSession.user_id).label("holds"))


class PermissionReader:
    """Answers "does this user hold this permission now?" in one round trip."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._read = CompiledRead(engine, _HOLDS)
        self._read_with_session = CompiledRead(engine, _SESSION_HOLDS)

    async def holds(self, user_id: uuid.UUID, permission: str) -> bool:
        row = await self._read.fetchrow(user_id=user_id, perm=permission, now=clock.now())
        return bool(row and row["holds"])

    async def session_holding(
        self, session_handle: str, permission: str
    ) -> Mapping[str, Any] | None:
        """The session row of :class:`SessionReader`, plus ``holds`` for ``permission``."""
        return await self._read_with_session.fetchrow(
            sid=session_handle, perm=permission, now=clock.now()
        )


async def _authorize(request: Request, permission: str) -> tuple[Principal, bool]:
    """The caller, and whether they hold ``permission``: one query for both, unless an
    earlier dependency of the request already resolved the caller."""
    reader: PermissionReader = request.app.state.permission_reader
    principal = resolved_principal(request)
    if principal is not None:
        return principal, await reader.holds(principal.user_id, permission)
    principal, row = await resolve_principal(
        request, partial(reader.session_holding, permission=permission)
    )
    return principal, bool(row["holds"])


async def effective_permissions(engine: AsyncEngine, user_id: uuid.UUID) -> frozenset[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(effective_permissions_query(user_id, clock.now()))
        return frozenset(row[0] for row in rows)


def _declared(permission: PermissionDef | str) -> PermissionDef:
    if isinstance(permission, PermissionDef):
        return permission
    declared = REGISTRY.get(permission)
    if declared is None:
        # Fail at import time: a typo here would otherwise deny (or doc) the wrong thing.
        raise LookupError(f"permission {permission!r} is not declared in any permissions.py")
    return declared


def require(permission: PermissionDef | str) -> Any:
    """A dependency that lets the request through only with ``permission``.

    Use it in a route's ``dependencies=[...]``, or as a parameter type through
    :func:`requires` when the handler needs the caller.
    """
    permission = _declared(permission)

    async def guard(request: Request) -> Principal:
        principal, held = await _authorize(request, permission.name)
        if not held:
            await audit.record_standalone(
                request.app.state.sessionmaker,
                action="authz.denied",
                success=False,
                actor_id=principal.user_id,
                resource=f"route:{request.method} {request.url.path}",
                details={"permission": permission.name},
                meta=request_meta(request),
            )
            raise PermissionDeniedError(
                f"This needs the permission {permission.name}.", permission=permission.name
            )
        return principal

    setattr(guard, PERMISSION_ATTRIBUTE, permission.name)
    return Depends(guard)


def requires(permission: PermissionDef | str) -> Any:
    """``Annotated`` alias: ``admin: requires(USERS_UPDATE)`` is the allowed caller."""
    return Annotated[Principal, require(permission)]


__all__ = ["PUBLIC", "effective_permissions", "require", "requires"]
