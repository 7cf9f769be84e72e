"""Request and response bodies of the access-control admin API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from frontdesk.core.schemas import Instant, RequestModel, ResponseModel

ROLE_NAME_PATTERN = r"^[a-z][a-z0-9_-]{1,63}$"
MAX_ROLE_PERMISSIONS = 500

RoleName = Annotated[
    str, Field(pattern=ROLE_NAME_PATTERN, description="Lowercase slug, e.g. `front-desk`")
]
PermissionName = Annotated[
    str, Field(min_length=3, max_length=128, description="`resource:action`")
]
Description = Annotated[str | None, Field(max_length=500)]

_ROLE_COLUMNS = ("id", "name", "description", "is_active", "is_system", "created_at", "updated_at")
_GRANT_COLUMNS = ("id", "user_id", "granted_by", "expires_at", "is_active", "created_at")


class RoleCreate(RequestModel):
    name: RoleName
    description: Description = None
    is_active: bool = True


class RoleUpdate(RequestModel):
    """Only the fields sent change; `description: null` clears the description."""

    name: RoleName | None = None
    description: Description = None
    is_active: bool | None = None


class RolePermissionsSet(RequestModel):
    permissions: list[PermissionName] = Field(
        max_length=MAX_ROLE_PERMISSIONS, description="The role's complete permission list"
    )


class RoleRead(ResponseModel):
    id: uuid.UUID
    name: str
    description: str | None
    is_active: bool
    is_system: bool
    permissions: list[str] = Field(description="Permission names, sorted")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, role: Any, permissions: list[str]) -> RoleRead:
        return cls.model_validate(
            {name: getattr(role, name) for name in _ROLE_COLUMNS} | {"permissions": permissions}
        )


class PermissionRead(ResponseModel):
    name: str
    resource: str
    action: str
    description: str | None


class RoleAssign(RequestModel):
    role: str = Field(min_length=1, max_length=64, description="The role's name")


class UserRolesRead(ResponseModel):
    user_id: uuid.UUID
    roles: list[str] = Field(description="Names of every role the user holds, sorted")


class GrantCreate(RequestModel):
    permission: PermissionName
    expires_at: Instant | None = Field(
        default=None, description="When the grant lapses (must be in the future); null: never"
    )


class GrantRead(ResponseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    permission: str
    granted_by: uuid.UUID | None
    expires_at: datetime | None
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, grant: Any, permission: str) -> GrantRead:
        return cls.model_validate(
            {name: getattr(grant, name) for name in _GRANT_COLUMNS} | {"permission": permission}
        )


class RoleSource(ResponseModel):
    type: Literal["role"] = "role"
    role: str


class GrantSource(ResponseModel):
    type: Literal["grant"] = "grant"
    grant_id: uuid.UUID
    expires_at: datetime | None


PermissionSource = Annotated[RoleSource | GrantSource, Field(discriminator="type")]


class EffectivePermissionRead(ResponseModel):
    permission: str
    sources: list[PermissionSource]
