"""Bookings (the customer's order), their lines and timeline (payments: ``business/payments``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core import clock
from frontdesk.core.db import Base, CreatedAt, Timestamps, UUIDPrimaryKey, one_of
from frontdesk.core.types import Money, OptionalJSON, PortableJSON, UTCDateTime

BOOKING_STATUSES = ("pending", "confirmed", "completed", "cancelled", "no_show")
BOOKING_SOURCES = ("online", "desk")
ITEM_KINDS = ("service", "product")


class Booking(UUIDPrimaryKey, Timestamps, Base):
    """The customer's order; ``appointment_id`` is null for a product-only sale."""

    __tablename__ = "bookings"
    __table_args__ = (
        one_of("status", BOOKING_STATUSES),
        one_of("source", BOOKING_SOURCES),
        CheckConstraint(
            "subtotal >= 0 AND discount >= 0 AND total >= 0", name="amounts_non_negative"
        ),
        CheckConstraint("total = subtotal - discount", name="total_is_subtotal_less_discount"),
        CheckConstraint(
            "(discount_source IS NULL) = (discount_reference_id IS NULL)",
            name="discount_source_has_reference",
        ),
        Index(None, "customer_id", "booking_date"),
        Index(None, "status", "booking_date"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointments.id"), unique=True
    )
    booking_date: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3))
    # customer_offers points back at bookings: created after both tables exist.
    customer_offer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer_offers.id", use_alter=True, ondelete="SET NULL")
    )
    # The one discount a booking carries (see ``orders/discounts.py``): who granted it
    # (a label such as "offer" or "voucher", with the granting row's id) and the rule
    # that recomputes it whenever the lines change.
    discount_source: Mapped[str | None] = mapped_column(String(16))
    discount_reference_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    discount_rule: Mapped[dict[str, Any] | None] = mapped_column(OptionalJSON)
    source: Mapped[str] = mapped_column(String(8), default="desk")
    notes: Mapped[str | None] = mapped_column(Text)


class BookingItem(UUIDPrimaryKey, CreatedAt, Base):
    """A line of a booking: the service, or a product sold with it."""

    __tablename__ = "booking_items"
    __table_args__ = (
        one_of("kind", ITEM_KINDS),
        CheckConstraint(
            "(kind = 'service' AND service_id IS NOT NULL AND product_id IS NULL) OR "
            "(kind = 'product' AND product_id IS NOT NULL AND service_id IS NULL)",
            name="kind_matches_reference",
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0 AND line_total >= 0", name="amounts_non_negative"),
    )

    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    service_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("services.id"))
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"), index=True)
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    line_total: Mapped[Decimal] = mapped_column(Money)


class OrderEvent(UUIDPrimaryKey, CreatedAt, Base):
    """One entry of a booking's timeline (``order_id`` = the booking)."""

    __tablename__ = "order_events"
    __table_args__ = (Index(None, "order_id", "created_at"),)

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(64))
    event_data: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
