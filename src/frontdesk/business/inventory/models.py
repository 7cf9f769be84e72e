"""Products and every movement of their stock."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core import clock
from frontdesk.core.db import Base, CreatedAt, Timestamps, UUIDPrimaryKey, one_of
from frontdesk.core.types import Money, UTCDateTime

INVENTORY_ACTIONS = ("restock", "sale", "return", "adjustment", "damage")


class Product(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_non_negative"),
        CheckConstraint("stock_quantity >= 0", name="stock_non_negative"),
        CheckConstraint("reorder_level >= 0", name="reorder_level_non_negative"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(Money)
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    # Changed only by the inventory service, together with an inventory_logs row.
    stock_quantity: Mapped[int] = mapped_column(Integer, default=0)
    reorder_level: Mapped[int] = mapped_column(Integer, default=0)


class InventoryLog(UUIDPrimaryKey, CreatedAt, Base):
    """One stock movement; a product's stock always equals the sum of its logs."""

    __tablename__ = "inventory_logs"
    __table_args__ = (
        one_of("action", INVENTORY_ACTIONS),
        CheckConstraint("quantity <> 0", name="quantity_non_zero"),
        CheckConstraint("stock_after >= 0", name="stock_after_non_negative"),
        Index(None, "product_id", "timestamp"),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    action: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    booking_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    stock_after: Mapped[int] = mapped_column(Integer)
