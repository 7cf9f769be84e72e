"""The outbox: side effects (email) written in the request's transaction, sent after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core import clock
from frontdesk.core.db import Base, Timestamps, UUIDPrimaryKey, one_of
from frontdesk.core.types import PortableJSON, UTCDateTime

OUTBOX_KINDS = ("email",)
OUTBOX_STATUSES = ("pending", "sent", "failed")


class OutboxMessage(UUIDPrimaryKey, Timestamps, Base):
    """One message waiting to leave, or the record that it left."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        one_of("kind", OUTBOX_KINDS),
        one_of("status", OUTBOX_STATUSES),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index(None, "status", "available_at"),
    )

    kind: Mapped[str] = mapped_column(String(16), default="email")
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    # Non-secret context for operators (template name, user id); never tokens.
    meta: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
