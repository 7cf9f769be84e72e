"""Roles, permissions and the links that grant them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, CreatedAt, Timestamps, UUIDPrimaryKey
from frontdesk.core.types import UTCDateTime


class Role(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Seeded roles (admin, manager, ...) cannot be renamed or deleted.
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)


class Permission(UUIDPrimaryKey, CreatedAt, Base):
    """One ``resource:action`` pair; the list is declared in code and synced here."""

    __tablename__ = "permissions"
    __table_args__ = (UniqueConstraint("resource", "action"),)

    name: Mapped[str] = mapped_column(String(128), unique=True)
    resource: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(500))


class UserRole(CreatedAt, Base):
    __tablename__ = "user_roles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class RolePermission(CreatedAt, Base):
    __tablename__ = "role_permissions"

    role_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    permission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("permissions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    granted_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class UserPermission(UUIDPrimaryKey, Timestamps, Base):
    """A direct grant; expired or inactive grants grant nothing, with no job needed."""

    __tablename__ = "user_permissions"
    __table_args__ = (Index(None, "user_id", "permission_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    permission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("permissions.id", ondelete="CASCADE")
    )
    granted_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
