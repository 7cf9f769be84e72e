"""``GET /api/v1/audit-logs``: read the audit log, newest first, filtered and paginated."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, select

from frontdesk.core.deps import DbSession
from frontdesk.core.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, page_of, paginate
from frontdesk.core.schemas import Instant
from frontdesk.security.audit.models import AuditLog
from frontdesk.security.audit.permissions import AUDIT_LOGS_READ
from frontdesk.security.audit.schemas import AuditLogPage, AuditLogRead
from frontdesk.security.rbac.deps import require

router = APIRouter(prefix="/audit-logs", tags=["audit"])

PREFIX_MARK = "*"

Actor = Annotated[uuid.UUID | None, Query(description="Only rows of this user id")]
Action = Annotated[str | None, Query(max_length=100, description="Exact action, e.g. `auth.login`")]
Resource = Annotated[
    str | None,
    Query(
        max_length=201,  # the column holds 200, plus the trailing `*`
        description="Exact resource; a trailing `*` matches by prefix (`route:GET *`)",
    ),
]
Success = Annotated[bool | None, Query(description="Only successful or only failed actions")]
From = Annotated[Instant | None, Query(alias="from", description="Created at or after")]
To = Annotated[Instant | None, Query(alias="to", description="Created before (exclusive)")]


def _resource_condition(resource: str) -> ColumnElement[bool]:
    if resource.endswith(PREFIX_MARK):
        # autoescape: a % or _ in the prefix is matched literally, not as a wildcard.
        return AuditLog.resource.startswith(resource[:-1], autoescape=True)
    return AuditLog.resource == resource


def _conditions(
    actor: uuid.UUID | None,
    action: str | None,
    resource: str | None,
    success: bool | None,
    created_from: datetime | None,
    created_to: datetime | None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if actor is not None:
        conditions.append(AuditLog.user_id == actor)
    if action is not None:
        conditions.append(AuditLog.action == action)
    if resource is not None:
        conditions.append(_resource_condition(resource))
    if success is not None:
        conditions.append(AuditLog.success == success)
    if created_from is not None:
        conditions.append(AuditLog.created_at >= created_from)
    if created_to is not None:
        conditions.append(AuditLog.created_at < created_to)
    return conditions


@router.get(
    "",
    summary="List audit log rows, newest first",
    dependencies=[require(AUDIT_LOGS_READ)],
)
async def list_audit_logs(
    session: DbSession,
    actor: Actor = None,
    action: Action = None,
    resource: Resource = None,
    success: Success = None,
    created_from: From = None,
    created_to: To = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> AuditLogPage:
    query = select(AuditLog).where(
        *_conditions(actor, action, resource, success, created_from, created_to)
    )
    rows = (await session.scalars(paginate(query, AuditLog.id, cursor, limit))).all()
    items, next_cursor = page_of(rows, limit, lambda row: row.id)
    return AuditLogPage(
        items=[AuditLogRead.model_validate(row) for row in items], next_cursor=next_cursor
    )
