"""``/api/v1/admin``: roles, their permissions, role assignments and direct grants.

Handlers parse, authorize, call :mod:`frontdesk.security.rbac.service` and write the
audit row of each change (with before/after) last, as the service's lock order wants.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.deps import DbSession
from frontdesk.core.pagination import Cursor, Limit, Page, page_of, paginate
from frontdesk.core.request_context import Meta, RequestMeta
from frontdesk.security.audit import service as audit
from frontdesk.security.auth.deps import Principal
from frontdesk.security.rbac import service as rbac
from frontdesk.security.rbac.deps import require
from frontdesk.security.rbac.models import Permission, Role
from frontdesk.security.rbac.permissions import (
    PERMISSIONS_GRANT,
    PERMISSIONS_READ,
    ROLES_MANAGE,
    ROLES_READ,
)
from frontdesk.security.rbac.schemas import (
    EffectivePermissionRead,
    GrantCreate,
    GrantRead,
    PermissionRead,
    RoleAssign,
    RoleCreate,
    RolePermissionsSet,
    RoleRead,
    RoleUpdate,
    UserRolesRead,
)

router = APIRouter(prefix="/admin", tags=["admin: access control"])

RoleManager = Annotated[Principal, require(ROLES_MANAGE)]
Granter = Annotated[Principal, require(PERMISSIONS_GRANT)]
RoleNameInPath = Annotated[str, Path(min_length=1, max_length=64)]


def _actor(caller: Principal, meta: RequestMeta) -> rbac.Actor:
    return rbac.Actor(user_id=caller.user_id, meta=meta)


async def _audit(
    session: AsyncSession,
    caller: Principal,
    meta: RequestMeta,
    action: str,
    resource: str,
    details: dict[str, Any],
) -> None:
    await audit.record(
        session,
        action=action,
        success=True,
        actor_id=caller.user_id,
        resource=resource,
        details=details,
        meta=meta,
    )


async def _read(session: AsyncSession, roles: list[Role]) -> list[RoleRead]:
    names = await rbac.permission_names(session, [role.id for role in roles])
    return [RoleRead.of(role, names.get(role.id, [])) for role in roles]


@router.get("/roles", summary="List roles", dependencies=[require(ROLES_READ)])
async def list_roles(
    session: DbSession, is_active: bool | None = None, limit: Limit = 50, cursor: Cursor = None
) -> Page[RoleRead]:
    query = select(Role)
    if is_active is not None:
        query = query.where(Role.is_active.is_(is_active))
    rows = (await session.scalars(paginate(query, Role.id, cursor, limit))).all()
    items, next_cursor = page_of(rows, limit, lambda row: row.id)
    return Page[RoleRead](items=await _read(session, items), next_cursor=next_cursor)


@router.get("/roles/{role_id}", summary="One role", dependencies=[require(ROLES_READ)])
async def get_role(role_id: uuid.UUID, session: DbSession) -> RoleRead:
    return (await _read(session, [await rbac.get_role(session, role_id)]))[0]


@router.post("/roles", status_code=status.HTTP_201_CREATED, summary="Create a role")
async def create_role(
    body: RoleCreate, session: DbSession, meta: Meta, caller: RoleManager
) -> RoleRead:
    role = await rbac.create_role(session, _actor(caller, meta), body)
    details = {"after": rbac.snapshot(role)}
    await _audit(session, caller, meta, "rbac.role_create", f"role:{role.id}", details)
    return RoleRead.of(role, [])


@router.patch("/roles/{role_id}", summary="Rename, describe, deactivate or reactivate a role")
async def update_role(
    role_id: uuid.UUID, body: RoleUpdate, session: DbSession, meta: Meta, caller: RoleManager
) -> RoleRead:
    role = await rbac.get_role(session, role_id, lock=True)
    before = rbac.snapshot(role)
    await rbac.update_role(session, _actor(caller, meta), role, body)
    after = rbac.snapshot(role)
    if after != before:
        details = {"before": before, "after": after}
        await _audit(session, caller, meta, "rbac.role_update", f"role:{role.id}", details)
    return (await _read(session, [role]))[0]


@router.delete(
    "/roles/{role_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a custom role"
)
async def delete_role(
    role_id: uuid.UUID, session: DbSession, meta: Meta, caller: RoleManager
) -> None:
    role = await rbac.get_role(session, role_id, lock=True)
    before = {**rbac.snapshot(role), "permissions": await rbac.role_permissions(session, role)}
    holders = await rbac.delete_role(session, role)
    details = {"before": before, "unassigned_users": [str(user_id) for user_id in holders]}
    await _audit(session, caller, meta, "rbac.role_delete", f"role:{role_id}", details)


@router.put("/roles/{role_id}/permissions", summary="Set a role's permissions exactly")
async def set_role_permissions(
    role_id: uuid.UUID,
    body: RolePermissionsSet,
    session: DbSession,
    meta: Meta,
    caller: RoleManager,
) -> RoleRead:
    role = await rbac.get_role(session, role_id, lock=True)
    actor = _actor(caller, meta)
    before, after = await rbac.set_role_permissions(session, actor, role, body.permissions)
    if after != before:
        # What changed first: details are capped, and these lists are the short ones.
        details = {
            "added": sorted(set(after) - set(before)),
            "removed": sorted(set(before) - set(after)),
            "before": before,
            "after": after,
        }
        resource = f"role:{role.id}"
        await _audit(session, caller, meta, "rbac.role_permissions_set", resource, details)
    return RoleRead.of(role, after)


@router.get("/permissions", summary="Every permission", dependencies=[require(PERMISSIONS_READ)])
async def list_permissions(session: DbSession) -> list[PermissionRead]:
    """The whole list: it is declared in code and bounded, so it is not paginated."""
    rows = await session.scalars(select(Permission).order_by(Permission.name))
    return [PermissionRead.model_validate(row) for row in rows]


@router.post(
    "/users/{user_id}/roles",
    status_code=status.HTTP_201_CREATED,
    summary="Assign a role (200 if the user already holds it)",
    responses={200: {"description": "Already assigned; nothing changed"}},
)
async def assign_role(
    user_id: uuid.UUID,
    body: RoleAssign,
    response: Response,
    session: DbSession,
    meta: Meta,
    caller: Granter,
) -> UserRolesRead:
    if await rbac.assign_user_role(session, _actor(caller, meta), user_id, body.role):
        details = {"role": body.role}
        await _audit(session, caller, meta, "rbac.role_assign", f"user:{user_id}", details)
    else:
        response.status_code = status.HTTP_200_OK
    return UserRolesRead(user_id=user_id, roles=await rbac.user_role_names(session, user_id))


@router.delete(
    "/users/{user_id}/roles/{role_name}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take a role away (no change if the user does not hold it)",
)
async def unassign_role(
    user_id: uuid.UUID, role_name: RoleNameInPath, session: DbSession, meta: Meta, caller: Granter
) -> None:
    if await rbac.unassign_user_role(session, _actor(caller, meta), user_id, role_name):
        details = {"role": role_name}
        await _audit(session, caller, meta, "rbac.role_unassign", f"user:{user_id}", details)


@router.post(
    "/users/{user_id}/permissions",
    status_code=status.HTTP_201_CREATED,
    summary="Grant a permission directly, optionally until a moment",
)
async def grant_permission(
    user_id: uuid.UUID, body: GrantCreate, session: DbSession, meta: Meta, caller: Granter
) -> GrantRead:
    grant = await rbac.grant_permission(session, _actor(caller, meta), user_id, body)
    details = grant.model_dump(mode="json", include={"id", "permission", "expires_at"})
    await _audit(session, caller, meta, "rbac.grant", f"user:{user_id}", details)
    return grant


@router.delete(
    "/users/{user_id}/permissions/{grant_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a direct grant (the row is kept, inactive)",
)
async def revoke_grant(
    user_id: uuid.UUID, grant_id: uuid.UUID, session: DbSession, meta: Meta, caller: Granter
) -> None:
    permission = await rbac.revoke_grant(session, _actor(caller, meta), user_id, grant_id)
    if permission is not None:
        details = {"id": str(grant_id), "permission": permission}
        await _audit(session, caller, meta, "rbac.grant_revoke", f"user:{user_id}", details)


@router.get(
    "/users/{user_id}/effective-permissions",
    summary="What a user may do now, and why",
    dependencies=[require(PERMISSIONS_READ)],
)
async def effective_permissions(
    user_id: uuid.UUID, session: DbSession
) -> list[EffectivePermissionRead]:
    return await rbac.effective_permission_sources(session, user_id)
