"""The points ledger, the rewards catalogue and referrals."""

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

from frontdesk.core.db import Base, CreatedAt, Timestamps, UUIDPrimaryKey, one_of
from frontdesk.core.types import ExactDecimal, PortableJSON, UTCDateTime

LOYALTY_REASONS = ("earn", "redeem", "referral", "adjustment", "expiry", "reversal")
REWARD_TYPES = ("discount_amount", "discount_percent", "free_service", "free_product")
REFERRAL_STATUSES = ("pending", "completed", "cancelled")


class LoyaltyTransaction(UUIDPrimaryKey, CreatedAt, Base):
    """One signed movement of a customer's points, with its reason and links."""

    __tablename__ = "loyalty_transactions"
    __table_args__ = (
        one_of("reason", LOYALTY_REASONS),
        CheckConstraint("points <> 0", name="points_non_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        Index(None, "customer_id", "created_at"),
        # A booking earns once, however often its `booking.paid` event is delivered.
        Index(
            "uq_loyalty_transactions_earn_booking_id",
            "booking_id",
            unique=True,
            postgresql_where=text("reason = 'earn'"),
            sqlite_where=text("reason = 'earn'"),
        ),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(16))
    booking_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    reward_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rewards.id"))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id"))
    balance_after: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    # The money a movement was computed from: for `earn` the net captured amount it was
    # earned on (a refund's reversal is measured against it), for `reversal` the refund.
    amount: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    currency: Mapped[str | None] = mapped_column(String(3))


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
