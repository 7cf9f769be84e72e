"""Targeted advertisements and their impressions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core import clock
from frontdesk.core.db import Base, CreatedAt, Timestamps, UUIDPrimaryKey
from frontdesk.core.types import PortableJSON, UTCDateTime


class Advertisement(UUIDPrimaryKey, Timestamps, Base):
    """An ad shown to customers matching ``target_audience``."""

    __tablename__ = "advertisements"
    __table_args__ = (
        CheckConstraint("ends_at IS NULL OR starts_at < ends_at", name="schedule_ordered"),
        CheckConstraint(
            "max_views_per_day IS NULL OR max_views_per_day > 0",
            name="max_views_per_day_positive",
        ),
        Index(None, "is_active", "starts_at"),
    )

    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    target_audience: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The frequency cap: impressions per customer per rolling 24 hours (null: the default).
    max_views_per_day: Mapped[int | None] = mapped_column(Integer)
    link_url: Mapped[str | None] = mapped_column(String(2000))


class CustomerAdViewed(UUIDPrimaryKey, CreatedAt, Base):
    """One impression of an ad, and whether it was clicked."""

    __tablename__ = "customer_ads_viewed"
    __table_args__ = (
        Index(None, "ad_id", "viewed_at"),
        Index(None, "customer_id", "ad_id"),
        # The frequency cap counts one customer's recent impressions across all ads.
        Index(None, "customer_id", "viewed_at"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    ad_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("advertisements.id"))
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    clicked: Mapped[bool] = mapped_column(Boolean, default=False)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
