"""Reminder emails, ``reminder_hours_before`` hours before an appointment (0 turns them off).

The worker calls :func:`queue_due` on every pass. An appointment is due once its start is
within the lead time and still ahead; it is reminded once per start time, so a moved
appointment is reminded again for its new time, and a cancelled one not at all. One
``appointment_reminders`` row records each decision (queued, no email on file, or opted
out), so nothing is considered twice.

Several workers may scan at once: on PostgreSQL the scan locks the appointments it takes
with ``FOR UPDATE SKIP LOCKED`` (another worker passes over them instead of waiting), and
the unique (appointment, start) row is inserted with ``ON CONFLICT DO NOTHING`` before
any email is queued, so a late duplicate queues nothing. On SQLite the pass runs under
the write lock.

An appointment booked inside the lead time is reminded at once, on the next pass.
Customers opt out with ``"appointment_reminders": false`` in their preferences.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.scheduling.models import (
    UPCOMING_STATUSES,
    Appointment,
    AppointmentReminder,
    Service,
)
from frontdesk.business.settings import service as business_settings
from frontdesk.core.db import dialect_insert
from frontdesk.core.ids import new_id
from frontdesk.core.outbox import enqueue_email
from frontdesk.core.outbox_models import OutboxMessage
from frontdesk.security.auth.models import User

BATCH_SIZE = 200  # appointments per scan; the next pass takes the rest
OPT_OUT_PREFERENCE = "appointment_reminders"


@dataclass(frozen=True)
class DueReminder:
    appointment: Appointment
    customer: Customer
    service: Service
    staff: User


async def queue_due(session: AsyncSession, *, now: datetime, limit: int = BATCH_SIZE) -> int:
    """Queue the reminders that are due at ``now``; returns how many emails were queued."""
    settings = await business_settings.get(session)
    if settings.reminder_hours_before == 0:
        return 0
    zone = ZoneInfo(settings.time_zone)
    queued = 0
    for due in await _due(
        session, now, now + timedelta(hours=settings.reminder_hours_before), limit
    ):
        queued += await _remind(session, due, zone, now)
    return queued


async def _due(
    session: AsyncSession, now: datetime, until: datetime, limit: int
) -> list[DueReminder]:
    reminded = exists().where(
        AppointmentReminder.appointment_id == Appointment.id,
        AppointmentReminder.starts_at == Appointment.appointment_date,
    )
    query = (
        select(Appointment, Customer, Service, User)
        .join(Customer, Customer.id == Appointment.customer_id)
        .join(Service, Service.id == Appointment.service_id)
        .join(User, User.id == Appointment.user_id)
        .where(
            Appointment.status.in_(UPCOMING_STATUSES),
            Appointment.appointment_date > now,
            Appointment.appointment_date <= until,
            ~reminded,
        )
        .order_by(Appointment.appointment_date)
        .limit(limit)
        .with_for_update(of=Appointment, skip_locked=True)
    )
    return [DueReminder(*row) for row in await session.execute(query)]


async def _remind(session: AsyncSession, due: DueReminder, zone: ZoneInfo, now: datetime) -> int:
    outcome = _outcome(due.customer)
    reminder_id = await _claim(session, due.appointment, outcome, now)
    if reminder_id is None or outcome != "queued":
        return 0  # another worker has it, or there is nobody to write to
    subject, text = compose(due, zone)
    message = await enqueue_email(
        session,
        to=due.customer.contact_info["email"],
        subject=subject,
        text=text,
        meta={"template": "appointment_reminder", "appointment_id": str(due.appointment.id)},
    )
    reminder = await session.get_one(AppointmentReminder, reminder_id)
    reminder.outbox_message_id = message.id
    await session.flush()
    return 1


def _outcome(customer: Customer) -> str:
    if customer.preferences.get(OPT_OUT_PREFERENCE) is False:
        return "opted_out"
    if not customer.contact_info.get("email"):
        return "no_email"
    return "queued"


async def _claim(
    session: AsyncSession, appointment: Appointment, outcome: str, now: datetime
) -> uuid.UUID | None:
    """Insert the (appointment, start) row unless it exists; its id, or None if it did."""
    conn = await session.connection()
    statement = (
        dialect_insert(conn.dialect.name, AppointmentReminder)
        .values(
            id=new_id(),
            appointment_id=appointment.id,
            starts_at=appointment.appointment_date,
            outcome=outcome,
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(AppointmentReminder.id)
    )
    return (await conn.execute(statement)).scalar_one_or_none()


def compose(due: DueReminder, zone: ZoneInfo) -> tuple[str, str]:
    """The reminder's subject and plain-text body, with times in the business time zone."""
    start = due.appointment.appointment_date.astimezone(zone)
    end = due.appointment.ends_at.astimezone(zone)
    service = " ".join(due.service.name.split())  # a header stays one line
    when = f"{start:%A %d %B %Y}, {start:%H:%M}-{end:%H:%M} ({zone.key})"
    subject = f"Reminder: {service} on {start:%d %b} at {start:%H:%M}"
    text = (
        f"Hello {due.customer.name},\n\n"
        f"This is a reminder of your appointment:\n\n"
        f"    {service} with {due.staff.username}\n"
        f"    {when}\n\n"
        "If you cannot come, please cancel or reschedule as early as you can.\n"
    )
    return subject, text


async def forget_customer(session: AsyncSession, customer_id: uuid.UUID) -> int:
    """Delete the reminder emails written to a customer, sent or not (erasure); the
    reminder rows stay, without a message, so nothing is queued again."""
    written_to_customer = (
        select(AppointmentReminder.outbox_message_id)
        .join(Appointment, Appointment.id == AppointmentReminder.appointment_id)
        .where(
            Appointment.customer_id == customer_id,
            AppointmentReminder.outbox_message_id.is_not(None),
        )
    )
    result = await session.execute(
        delete(OutboxMessage).where(OutboxMessage.id.in_(written_to_customer))
    )
    return cast(CursorResult[Any], result).rowcount
