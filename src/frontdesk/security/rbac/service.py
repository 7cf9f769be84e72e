"""Role assignment rules (the full RBAC service grows here)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.errors import NotFoundError
from frontdesk.security.auth.models import User
from frontdesk.security.rbac.models import Role, UserRole

ADMIN_ROLE = "admin"


async def assign_role(
    session: AsyncSession, user_id: uuid.UUID, role_name: str, *, assigned_by: uuid.UUID | None
) -> None:
    role_id = await session.scalar(select(Role.id).where(Role.name == role_name))
    if role_id is None:
        raise NotFoundError(f"No role named {role_name!r}.")
    session.add(UserRole(user_id=user_id, role_id=role_id, assigned_by=assigned_by))
    await session.flush()


async def count_active_admins(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(UserRole)
        .join(Role, Role.id == UserRole.role_id)
        .join(User, User.id == UserRole.user_id)
        .where(Role.name == ADMIN_ROLE, Role.is_active.is_(True), User.is_active.is_(True))
    )
    return int(count or 0)
