"""The one row of business settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, SmallInteger, String, false
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core import clock
from frontdesk.core.db import Base, CreatedAt
from frontdesk.core.types import ExactDecimal, UTCDateTime

SETTINGS_ROW_ID = 1


class BusinessSettings(CreatedAt, Base):
    """Time zone, currency and booking rules; exactly one row (``id`` = 1), seeded by the
    migration that creates the table."""

    __tablename__ = "business_settings"
    __table_args__ = (
        CheckConstraint(f"id = {SETTINGS_ROW_ID}", name="single_row"),
        CheckConstraint("slot_step_minutes BETWEEN 5 AND 240", name="slot_step_in_range"),
        CheckConstraint("min_notice_minutes >= 0", name="min_notice_non_negative"),
        CheckConstraint("horizon_days BETWEEN 1 AND 730", name="horizon_in_range"),
        CheckConstraint(
            "cancellation_cutoff_minutes >= 0 AND reschedule_cutoff_minutes >= 0",
            name="cutoffs_non_negative",
        ),
        CheckConstraint("reminder_hours_before >= 0", name="reminder_non_negative"),
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=SETTINGS_ROW_ID)
    # Printed on receipts: the trading name and the address lines under it.
    business_name: Mapped[str] = mapped_column(String(200), server_default="frontdesk")
    business_address: Mapped[str | None] = mapped_column(String(500))
    time_zone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    slot_step_minutes: Mapped[int] = mapped_column(Integer)
    min_notice_minutes: Mapped[int] = mapped_column(Integer)
    horizon_days: Mapped[int] = mapped_column(Integer)
    cancellation_cutoff_minutes: Mapped[int] = mapped_column(Integer)
    reschedule_cutoff_minutes: Mapped[int] = mapped_column(Integer)
    online_bookings_need_confirmation: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    reminder_hours_before: Mapped[int] = mapped_column(Integer)
    # Loyalty earning rules, read by the rewards layer (0 = no points; 0 = never expire).
    # Bounds are the API's: a CHECK added to an existing SQLite table needs a rebuild.
    points_per_currency_unit: Mapped[Decimal] = mapped_column(ExactDecimal, server_default="0")
    points_expiry_months: Mapped[int] = mapped_column(Integer, server_default="0")
    # Referral rules, read by the rewards layer: points for each side (0 = no referral
    # rewards) and the days after the first payment in which a full refund cancels them.
    referral_reward_points: Mapped[int] = mapped_column(Integer, server_default="0")
    referral_refund_window_days: Mapped[int] = mapped_column(Integer, server_default="14")
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=clock.now, onupdate=clock.now, nullable=False
    )
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
