"""Staff schedules: which services each staff member performs, weekly working hours,
time off, and closures of the whole business (time off with no staff member).

Every change replaces or adds whole records in the request's transaction and is audited
with what it replaced. A staff member is an active, non-customer account; anyone else
answers 404 here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.scheduling.models import (
    Appointment,
    Service,
    StaffService,
    StaffTimeOff,
    StaffWorkingHours,
)
from frontdesk.business.scheduling.schemas import WorkingRange
from frontdesk.core.errors import NotFoundError, ValidationFailedError
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service as audit
from frontdesk.security.auth.models import User

MAX_CALENDAR_APPOINTMENTS = 5000


async def ensure_staff(session: AsyncSession, user_id: uuid.UUID, *, lock: bool = False) -> None:
    """404 unless ``user_id`` is an active staff account. ``lock``: hold its row until
    the transaction ends, so two replacements of one person's schedule take turns
    instead of both deleting the old rows and both inserting (a doubled week)."""
    query = select(User.id).where(
        User.id == user_id, User.is_active.is_(True), User.is_customer.is_(False)
    )
    if lock:
        query = query.with_for_update()
    if await session.scalar(query) is None:
        raise NotFoundError("No such staff member.")


async def performed_services(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(StaffService.service_id)
        .where(StaffService.user_id == user_id)
        .order_by(StaffService.service_id)
    )
    return list(rows)


async def set_services(
    session: AsyncSession,
    user_id: uuid.UUID,
    service_ids: list[uuid.UUID],
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> list[uuid.UUID]:
    await ensure_staff(session, user_id, lock=True)
    wanted = sorted(set(service_ids))
    known = set(await session.scalars(select(Service.id).where(Service.id.in_(wanted))))
    missing = [str(service_id) for service_id in wanted if service_id not in known]
    if missing:
        raise ValidationFailedError(
            "Some services do not exist.",
            path="body.service_ids",
            message="unknown service ids: " + ", ".join(missing),
        )
    before = await performed_services(session, user_id)
    await session.execute(delete(StaffService).where(StaffService.user_id == user_id))
    if wanted:
        await session.execute(
            insert(StaffService), [{"user_id": user_id, "service_id": sid} for sid in wanted]
        )
    await _audit(
        session,
        "staff.services_set",
        user_id,
        {"before": [str(sid) for sid in before], "after": [str(sid) for sid in wanted]},
        actor_id,
        meta,
    )
    return wanted


async def working_hours(session: AsyncSession, user_id: uuid.UUID) -> list[StaffWorkingHours]:
    rows = await session.scalars(
        select(StaffWorkingHours)
        .where(StaffWorkingHours.user_id == user_id)
        .order_by(StaffWorkingHours.weekday, StaffWorkingHours.start_time)
    )
    return list(rows)


def _range_text(weekday: int, start: Any, end: Any) -> str:
    return f"{weekday} {start:%H:%M}-{end:%H:%M}"


async def set_working_hours(
    session: AsyncSession,
    user_id: uuid.UUID,
    ranges: list[WorkingRange],
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> list[StaffWorkingHours]:
    """Replace the whole week. Ranges are wall-clock times in the business time zone."""
    await ensure_staff(session, user_id, lock=True)
    before = [
        _range_text(row.weekday, row.start_time, row.end_time)
        for row in await working_hours(session, user_id)
    ]
    await session.execute(delete(StaffWorkingHours).where(StaffWorkingHours.user_id == user_id))
    session.add_all(
        StaffWorkingHours(
            user_id=user_id,
            weekday=item.weekday,
            start_time=item.start_time,
            end_time=item.end_time,
        )
        for item in ranges
    )
    await session.flush()
    after = await working_hours(session, user_id)
    await _audit(
        session,
        "staff.hours_set",
        user_id,
        {
            "before": before,
            "after": [_range_text(row.weekday, row.start_time, row.end_time) for row in after],
        },
        actor_id,
        meta,
    )
    return after


async def time_off(
    session: AsyncSession,
    user_id: uuid.UUID | None,
    *,
    start: datetime | None,
    end: datetime | None,
) -> list[StaffTimeOff]:
    """Absences of ``user_id`` (closures when ``None``) that overlap [start, end)."""
    owner = StaffTimeOff.user_id.is_(None) if user_id is None else StaffTimeOff.user_id == user_id
    query = select(StaffTimeOff).where(owner)
    if start is not None:
        query = query.where(StaffTimeOff.ends_at > start)
    if end is not None:
        query = query.where(StaffTimeOff.starts_at < end)
    return list(await session.scalars(query.order_by(StaffTimeOff.starts_at).limit(1000)))


async def add_time_off(
    session: AsyncSession,
    user_id: uuid.UUID | None,
    *,
    starts_at: datetime,
    ends_at: datetime,
    reason: str | None,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> StaffTimeOff:
    if user_id is not None:
        await ensure_staff(session, user_id)
    absence = StaffTimeOff(user_id=user_id, starts_at=starts_at, ends_at=ends_at, reason=reason)
    session.add(absence)
    await session.flush()
    details = {"starts_at": starts_at, "ends_at": ends_at, "reason": reason}
    await _audit(session, "staff.time_off_add", user_id, details, actor_id, meta, absence.id)
    return absence


async def remove_time_off(
    session: AsyncSession,
    user_id: uuid.UUID | None,
    time_off_id: uuid.UUID,
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> None:
    absence = await session.get(StaffTimeOff, time_off_id)
    if absence is None or absence.user_id != user_id:
        raise NotFoundError("No such time off.")
    details = {"starts_at": absence.starts_at, "ends_at": absence.ends_at}
    await session.delete(absence)
    await session.flush()
    await _audit(session, "staff.time_off_remove", user_id, details, actor_id, meta, time_off_id)


async def calendar_appointments(
    session: AsyncSession, user_id: uuid.UUID, start: datetime, end: datetime
) -> list[tuple[Appointment, str, str]]:
    """(appointment, service name, customer name) of ``user_id`` meeting [start, end)."""
    rows = await session.execute(
        select(Appointment, Service.name, Customer.name)
        .join(Service, Service.id == Appointment.service_id)
        .join(Customer, Customer.id == Appointment.customer_id)
        .where(
            Appointment.user_id == user_id,
            Appointment.appointment_date < end,
            Appointment.ends_at > start,
        )
        .order_by(Appointment.appointment_date)
        .limit(MAX_CALENDAR_APPOINTMENTS)
    )
    return [(appointment, service, customer) for appointment, service, customer in rows]


async def _audit(
    session: AsyncSession,
    action: str,
    user_id: uuid.UUID | None,
    details: dict[str, Any],
    actor_id: uuid.UUID,
    meta: RequestMeta,
    record_id: uuid.UUID | None = None,
) -> None:
    resource = f"staff:{user_id}" if user_id is not None else "closures"
    if record_id is not None:
        resource += f"/time_off:{record_id}"
    await audit.record(
        session,
        action=action,
        success=True,
        actor_id=actor_id,
        resource=resource,
        details=details,
        meta=meta,
    )
