"""Services, who performs them, staff hours and time off, and appointments."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
    literal_column,
    true,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, CreatedAt, Timestamps, UUIDPrimaryKey, one_of
from frontdesk.core.types import Money, UTCDateTime

APPOINTMENT_STATUSES = ("scheduled", "confirmed", "checked_in", "completed", "cancelled", "no_show")
# Statuses that hold the staff member's time; cancelled and no-show appointments free it.
BLOCKING_STATUSES = ("scheduled", "confirmed", "checked_in", "completed")
OVERLAP_CONSTRAINT = "ex_appointments_staff_no_overlap"
# Appointments still ahead of the customer: the ones a reminder is for.
UPCOMING_STATUSES = ("scheduled", "confirmed")
REMINDER_OUTCOMES = ("queued", "no_email", "opted_out")


class Service(UUIDPrimaryKey, Timestamps, Base):
    """Something that can be booked."""

    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint(
            "duration_minutes > 0 AND duration_minutes <= 1440", name="duration_in_range"
        ),
        CheckConstraint(
            "buffer_before_minutes >= 0 AND buffer_after_minutes >= 0", name="buffers_non_negative"
        ),
        CheckConstraint("price >= 0", name="price_non_negative"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class StaffService(CreatedAt, Base):
    """Staff member ``user_id`` performs ``service_id``."""

    __tablename__ = "staff_services"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class StaffWorkingHours(UUIDPrimaryKey, Timestamps, Base):
    """One working range on one weekday (ISO: 1 = Monday), in the business time zone."""

    __tablename__ = "staff_working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_iso"),
        CheckConstraint("start_time < end_time", name="range_ordered"),
        Index(None, "user_id", "weekday"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class StaffTimeOff(UUIDPrimaryKey, CreatedAt, Base):
    """An absence of one staff member, or a closure of the business when ``user_id`` is null."""

    __tablename__ = "staff_time_off"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="range_ordered"),
        Index(None, "user_id", "starts_at"),
    )

    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(200))


class CalendarFeed(UUIDPrimaryKey, CreatedAt, Base):
    """A staff member's iCalendar feed: the URL's secret, stored only as its SHA-256.
    One per staff member; issuing a new one replaces it, deleting it revokes it."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class Appointment(UUIDPrimaryKey, Timestamps, Base):
    """A reserved block of a staff member's time.

    ``blocked_from``/``blocked_until`` are the start and end widened by the service's
    buffers; two blocking appointments of one staff member never overlap there
    (half-open ranges). PostgreSQL enforces it with an exclusion constraint, SQLite
    with triggers inside the ``BEGIN IMMEDIATE`` write transaction (see migrations).
    """

    __tablename__ = "appointments"
    __table_args__ = (
        one_of("status", APPOINTMENT_STATUSES),
        CheckConstraint("ends_at > appointment_date", name="ends_after_start"),
        CheckConstraint(
            "blocked_from <= appointment_date AND blocked_until >= ends_at",
            name="block_covers_appointment",
        ),
        Index(None, "user_id", "appointment_date"),
        Index(None, "customer_id", "appointment_date"),
        Index(None, "appointment_date"),  # the reminder scan: what starts soon
        ExcludeConstraint(
            (literal_column("user_id"), "="),
            (
                func.tstzrange(
                    literal_column("blocked_from"),
                    literal_column("blocked_until"),
                    literal_column("'[)'"),
                ),
                "&&",
            ),
            name=OVERLAP_CONSTRAINT,
            using="gist",
            where=literal_column(
                "status IN ({})".format(", ".join(f"'{s}'" for s in BLOCKING_STATUSES))
            ),
        ).ddl_if(dialect="postgresql"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    appointment_date: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_from: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    notes: Mapped[str | None] = mapped_column(Text)


class AppointmentReminder(UUIDPrimaryKey, CreatedAt, Base):
    """The reminder for one appointment at one start time: written once, whatever the outcome.

    Unique per (appointment, start), so several workers never remind twice, and a
    rescheduled appointment earns a reminder for its new time.
    """

    __tablename__ = "appointment_reminders"
    __table_args__ = (
        UniqueConstraint("appointment_id", "starts_at"),
        one_of("outcome", REMINDER_OUTCOMES),
    )

    appointment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE")
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))
    outbox_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
