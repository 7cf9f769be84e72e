"""Money moving for a booking: payments and refunds, one row each."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, Timestamps, UUIDPrimaryKey, one_of
from frontdesk.core.types import Money

PAYMENT_METHODS = ("cash", "card", "gift_card", "points", "other")
PAYMENT_STATUSES = (
    "pending",
    "authorized",
    "captured",
    "failed",
    "voided",
    "refunded",
    "partially_refunded",
)
PAYMENT_KINDS = ("payment", "refund")


class PaymentTransaction(UUIDPrimaryKey, Timestamps, Base):
    """Money moving for a booking: a payment, or a refund of one (``refund_of_id``)."""

    __tablename__ = "payment_transactions"
    __table_args__ = (
        one_of("payment_method", PAYMENT_METHODS),
        one_of("status", PAYMENT_STATUSES),
        one_of("kind", PAYMENT_KINDS),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "(kind = 'refund') = (refund_of_id IS NOT NULL)", name="refund_has_original"
        ),
        Index(None, "booking_id", "created_at"),
        Index(None, "created_at", "id"),  # the accountant's export walks this order
    )

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    kind: Mapped[str] = mapped_column(String(8), default="payment")
    refund_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payment_transactions.id"), index=True
    )
    external_reference: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
