"""Customer profiles."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, Timestamps, UUIDPrimaryKey
from frontdesk.core.types import PortableJSON, UTCDateTime


class Customer(UUIDPrimaryKey, Timestamps, Base):
    """A person the business serves; ``user_id`` is the login that owns the profile."""

    __tablename__ = "customers"
    __table_args__ = (CheckConstraint("loyalty_points >= 0", name="loyalty_points_non_negative"),)

    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    contact_info: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    preferences: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    # The balance; the loyalty ledger is the truth and always sums to it.
    loyalty_points: Mapped[int] = mapped_column(Integer, default=0)
    referral_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    tags: Mapped[list[str]] = mapped_column(PortableJSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Folded copies of name, email and phone: indexed, case-insensitive search.
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    email_normalized: Mapped[str | None] = mapped_column(String(320), index=True)
    phone_normalized: Mapped[str | None] = mapped_column(String(32), index=True)
