"""The points ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, CreatedAt, UUIDPrimaryKey, one_of
from frontdesk.core.types import ExactDecimal, UTCDateTime

# `payment` spends points on a booking's balance (the points payment method); `refund`
# gives points back (a refunded points payment, a cancelled voucher).
LOYALTY_REASONS = (
    "earn",
    "redeem",
    "referral",
    "adjustment",
    "expiry",
    "reversal",
    "payment",
    "refund",
)


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
