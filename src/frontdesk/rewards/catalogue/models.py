"""What points buy, and the vouchers a redemption yields."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, Timestamps, UUIDPrimaryKey, one_of
from frontdesk.core.types import ExactDecimal, PortableJSON, UTCDateTime

REWARD_TYPES = ("discount_amount", "discount_percent", "free_service", "free_product")
VOUCHER_STATUSES = ("issued", "applied", "cancelled", "expired")


class Reward(UUIDPrimaryKey, Timestamps, Base):
    """Something points buy; ``conditions`` holds points cost and eligibility."""

    __tablename__ = "rewards"
    __table_args__ = (
        one_of("type", REWARD_TYPES),
        CheckConstraint("value >= 0", name="value_non_negative"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_non_negative"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(20))
    value: Mapped[Decimal] = mapped_column(ExactDecimal)
    conditions: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    stock: Mapped[int | None] = mapped_column(Integer)


class RewardVoucher(UUIDPrimaryKey, Timestamps, Base):
    """What a redemption yields: a reward bought with points, applied to one open booking."""

    __tablename__ = "reward_vouchers"
    __table_args__ = (
        one_of("status", VOUCHER_STATUSES),
        CheckConstraint("points_spent >= 0", name="points_spent_non_negative"),
        CheckConstraint(
            "(status = 'applied') = (booking_id IS NOT NULL)", name="booking_matches_status"
        ),
        Index(None, "customer_id", "status"),
        # A booking carries at most one voucher.
        Index(
            "uq_reward_vouchers_applied_booking_id",
            "booking_id",
            unique=True,
            postgresql_where=text("status = 'applied'"),
            sqlite_where=text("status = 'applied'"),
        ),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    reward_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rewards.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="issued")
    points_spent: Mapped[int] = mapped_column(Integer)
    booking_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bookings.id"))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
