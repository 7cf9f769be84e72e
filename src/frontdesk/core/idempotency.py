"""Stored outcomes of requests that carried an ``Idempotency-Key``.

The table lives in core because every money-moving or time-booking domain shares it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, CreatedAt, UUIDPrimaryKey, one_of
from frontdesk.core.types import PortableJSON, UTCDateTime

IDEMPOTENCY_STATES = ("in_flight", "completed")


class IdempotencyKey(UUIDPrimaryKey, CreatedAt, Base):
    """One key of one owner: the request's fingerprint and, once done, its response."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("owner", "key"),
        one_of("state", IDEMPOTENCY_STATES),
        CheckConstraint(
            "response_status IS NULL OR (response_status >= 100 AND response_status < 600)",
            name="response_status_http",
        ),
        Index(None, "expires_at"),
    )

    key: Mapped[str] = mapped_column(String(255))
    # Who used the key (a user id, or another stable caller identity): keys are per owner.
    owner: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="in_flight")
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any | None] = mapped_column(PortableJSON)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
