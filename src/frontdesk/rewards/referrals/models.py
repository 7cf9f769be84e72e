"""Referrals between customers."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, Timestamps, UUIDPrimaryKey, one_of
from frontdesk.core.types import UTCDateTime

REFERRAL_STATUSES = ("pending", "completed", "cancelled")


class Referral(UUIDPrimaryKey, Timestamps, Base):
    """``referrer_id`` brought ``referred_id``; one referral per referred customer."""

    __tablename__ = "referrals"
    __table_args__ = (
        one_of("status", REFERRAL_STATUSES),
        CheckConstraint("referrer_id <> referred_id", name="no_self_referral"),
        CheckConstraint("reward_points >= 0", name="reward_points_non_negative"),
    )

    referrer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    referred_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), unique=True)
    reward_points: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
