"""Offers and the copies handed to customers."""

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
    and_,
    column,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, Timestamps, UUIDPrimaryKey, one_of
from frontdesk.core.types import ExactDecimal, PortableJSON, UTCDateTime, exact_literal

CUSTOMER_OFFER_STATUSES = ("available", "used", "expired", "revoked")
# Compared with constants through exact_literal, which scales them like stored values.
_discount_percent = column("discount_percent", ExactDecimal())


class Offer(UUIDPrimaryKey, Timestamps, Base):
    """A time-boxed percentage discount with use limits."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(
            and_(_discount_percent >= exact_literal(0), _discount_percent <= exact_literal(100)),
            name="discount_percent_range",
        ),
        CheckConstraint("valid_from < valid_until", name="validity_ordered"),
        CheckConstraint(
            "max_uses_total IS NULL OR max_uses_total > 0", name="max_uses_total_positive"
        ),
        CheckConstraint(
            "max_uses_per_customer IS NULL OR max_uses_per_customer > 0",
            name="max_uses_per_customer_positive",
        ),
        CheckConstraint("uses_count >= 0", name="uses_count_non_negative"),
        CheckConstraint(
            "max_uses_total IS NULL OR uses_count <= max_uses_total", name="uses_within_limit"
        ),
        Index(None, "is_active", "valid_until"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    discount_percent: Mapped[Decimal] = mapped_column(ExactDecimal)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    max_uses_total: Mapped[int | None] = mapped_column(Integer)
    max_uses_per_customer: Mapped[int | None] = mapped_column(Integer)
    # Counted in the same UPDATE that checks the limit, so concurrent uses cannot overshoot.
    uses_count: Mapped[int] = mapped_column(Integer, default=0)
    conditions: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)


class CustomerOffer(UUIDPrimaryKey, Timestamps, Base):
    """An offer handed to one customer; used at most once."""

    __tablename__ = "customer_offers"
    __table_args__ = (
        one_of("status", CUSTOMER_OFFER_STATUSES),
        CheckConstraint("(status = 'used') = (used_at IS NOT NULL)", name="used_at_matches_status"),
        Index(None, "customer_id", "status"),
        # Handing an offer out twice gives the customer one usable copy, not two.
        Index(
            "uq_customer_offers_available",
            "offer_id",
            "customer_id",
            unique=True,
            postgresql_where=text("status = 'available'"),
            sqlite_where=text("status = 'available'"),
        ),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offers.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="available")
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booking_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bookings.id"), index=True)
