"""What the audit log API answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from frontdesk.core.pagination import Page
from frontdesk.core.schemas import ResponseModel


class AuditLogRead(ResponseModel):
    id: uuid.UUID
    sequence: int
    created_at: datetime
    user_id: uuid.UUID | None
    action: str
    resource: str | None
    ip_address: str | None
    success: bool
    details: dict[str, Any] | None
    user_agent: str | None
    request_id: str | None
    # The chain links, so a client can check or anchor them elsewhere.
    prev_hash: str | None
    hash: str | None


class AuditLogPage(Page[AuditLogRead]):
    """One page of audit rows, newest first."""
