"""Moving a booking's appointment to another time (and perhaps another staff member).

The move is checked like a new booking (the new slot must be one availability offers,
the appointment's own current time counting as free) and written in a savepoint under
the no-overlap rule, so a slot taken meanwhile answers 409 and leaves the booking as it
was. The old time frees in the same statement that takes the new one. Customers move
their own bookings only before the reschedule cutoff; a caller holding
``bookings:override`` passes it with a reason.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.orders import booking as placing
from frontdesk.business.orders.lifecycle import (
    InvalidTransitionError,
    PastRescheduleCutoffError,
    record_move,
)
from frontdesk.business.orders.models import Booking
from frontdesk.business.scheduling.models import Appointment, Service
from frontdesk.business.scheduling.overlap import BookingConflictError, overlap_guard
from frontdesk.business.settings.models import BusinessSettings
from frontdesk.core.request_context import RequestMeta

MOVABLE_BOOKING = frozenset({"pending", "confirmed"})
MOVABLE_APPOINTMENT = frozenset({"scheduled", "confirmed"})


async def move(
    session: AsyncSession,
    booking: Booking,
    *,
    start: datetime,
    staff_id: uuid.UUID | None,
    settings: BusinessSettings,
    now: datetime,
    may_override: bool,
    reason: str | None,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> None:
    appointment = await session.get(Appointment, booking.appointment_id)
    if (
        appointment is None
        or booking.status not in MOVABLE_BOOKING
        or appointment.status not in MOVABLE_APPOINTMENT
    ):
        raise InvalidTransitionError(f"A {booking.status} booking cannot be rescheduled.")
    overridden = _check_cutoff(appointment, settings, now, may_override, reason)
    service = await session.get_one(Service, appointment.service_id)
    customer = await session.get_one(Customer, appointment.customer_id)
    placement = placing.Placement(
        customer=customer,
        service=service,
        start=start,
        staff_id=staff_id or appointment.user_id,
        notes=None,
        online=False,
    )
    free = await placing.free_performers(session, placement, settings, now, ignoring=appointment.id)
    if not free:
        await placing.refuse(session, placement)
    before = {
        "start": appointment.appointment_date.isoformat(),
        "staff_id": str(appointment.user_id),
    }
    try:
        async with session.begin_nested(), overlap_guard():
            _place_appointment(appointment, service, start, free[0])
            await session.flush()
    except BookingConflictError:
        await session.refresh(appointment)
        raise
    data: dict[str, object] = {
        "appointment_id": str(appointment.id),
        "from": before,
        "to": {"start": start.isoformat(), "staff_id": str(free[0])},
    }
    if reason:
        data["reason"] = reason
    if overridden:
        data["cutoff_overridden"] = True
    await record_move(
        session, booking, "appointment.rescheduled", data, actor_id=actor_id, meta=meta
    )


def _check_cutoff(
    appointment: Appointment,
    settings: BusinessSettings,
    now: datetime,
    may_override: bool,
    reason: str | None,
) -> bool:
    """True if the cutoff had passed and was overridden; raises if it cannot be."""
    cutoff = appointment.appointment_date - timedelta(minutes=settings.reschedule_cutoff_minutes)
    if now <= cutoff:
        return False
    if may_override and reason:
        return True
    raise PastRescheduleCutoffError(
        "The reschedule cutoff has passed; staff may override it with a reason.",
        cutoff=cutoff.isoformat(),
    )


def _place_appointment(
    appointment: Appointment, service: Service, start: datetime, staff_id: uuid.UUID
) -> None:
    end = start + timedelta(minutes=service.duration_minutes)
    appointment.user_id = staff_id
    appointment.appointment_date = start
    appointment.ends_at = end
    appointment.blocked_from = start - timedelta(minutes=service.buffer_before_minutes)
    appointment.blocked_until = end + timedelta(minutes=service.buffer_after_minutes)
