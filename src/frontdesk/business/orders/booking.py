"""Placing a booking: the booking, its appointment, its service line, the first entry of
its timeline and an audit row, in the request's one transaction.

The slot must be one availability offers (hours, time off, closures, notice, horizon,
the grid, free with buffers). Under a race the database still decides: the no-overlap
constraint refuses the second writer, which answers 409 ``booking_conflict``. With
``"any"`` staff, each free performer is tried in turn inside a savepoint, so a slot
taken meanwhile by one falls through to the next.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.orders.models import Booking, BookingItem, OrderEvent
from frontdesk.business.scheduling import availability
from frontdesk.business.scheduling.models import Appointment, Service
from frontdesk.business.scheduling.overlap import BookingConflictError, overlap_guard
from frontdesk.business.settings.models import BusinessSettings
from frontdesk.core.errors import ValidationFailedError
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service as audit


@dataclass(frozen=True)
class Placement:
    customer: Customer
    service: Service
    start: datetime
    staff_id: uuid.UUID | None  # None: any free performer
    notes: str | None
    online: bool  # placed by the customer's own account


async def free_performers(
    session: AsyncSession,
    placement: Placement,
    settings: BusinessSettings,
    now: datetime,
    *,
    ignoring: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Performers for whom ``start`` is an offered slot, in a stable order (``ignoring``:
    an appointment being moved, whose own time counts as free)."""
    window = (placement.start, placement.start + timedelta(microseconds=1))
    per_staff = await availability.availability(
        session,
        service=placement.service,
        settings=settings,
        window=window,
        now=now,
        staff_id=placement.staff_id,
        ignoring=ignoring,
    )
    return [row.staff_id for row in per_staff if placement.start in row.slots]


async def place(
    session: AsyncSession,
    placement: Placement,
    *,
    settings: BusinessSettings,
    now: datetime,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> Booking:
    free = await free_performers(session, placement, settings, now)
    if not free:
        await refuse(session, placement)
    for staff_id in free:
        try:
            async with session.begin_nested(), overlap_guard():
                booking = await _write(session, placement, staff_id, settings, now, actor_id)
        except BookingConflictError:
            continue  # taken meanwhile: the next free performer, if any
        await audit.record(
            session,
            action="booking.create",
            success=True,
            actor_id=actor_id,
            resource=f"booking:{booking.id}",
            details={"appointment_id": booking.appointment_id, "staff_id": staff_id},
            meta=meta,
        )
        return booking
    raise BookingConflictError


async def refuse(session: AsyncSession, placement: Placement) -> NoReturn:
    """Why no one can take ``placement``: 422 for a staff member who does not perform
    the service, else 409 (the time is not offered)."""
    if placement.staff_id is not None and not await availability.performers(
        session, placement.service.id, placement.staff_id
    ):
        raise ValidationFailedError(
            "That staff member does not perform this service.",
            path="body.staff_id",
            message="does not perform the service",
        )
    raise BookingConflictError("That time is not available.")


async def _write(
    session: AsyncSession,
    placement: Placement,
    staff_id: uuid.UUID,
    settings: BusinessSettings,
    now: datetime,
    actor_id: uuid.UUID,
) -> Booking:
    service = placement.service
    end = placement.start + timedelta(minutes=service.duration_minutes)
    confirmed = not (placement.online and settings.online_bookings_need_confirmation)
    appointment = Appointment(
        user_id=staff_id,
        customer_id=placement.customer.id,
        service_id=service.id,
        appointment_date=placement.start,
        ends_at=end,
        blocked_from=placement.start - timedelta(minutes=service.buffer_before_minutes),
        blocked_until=end + timedelta(minutes=service.buffer_after_minutes),
        status="confirmed" if confirmed else "scheduled",
        notes=placement.notes,
    )
    session.add(appointment)
    await session.flush()  # the no-overlap rule decides here
    price = Decimal(service.price)
    booking = Booking(
        user_id=actor_id,
        customer_id=placement.customer.id,
        appointment_id=appointment.id,
        booking_date=now,
        status="confirmed" if confirmed else "pending",
        subtotal=price,
        discount=Decimal(0),
        total=price,
        currency=service.currency,
        source="online" if placement.online else "desk",
    )
    session.add(booking)
    await session.flush()
    session.add(
        BookingItem(
            booking_id=booking.id,
            kind="service",
            service_id=service.id,
            description=service.name[:200],
            quantity=1,
            unit_price=price,
            line_total=price,
        )
    )
    session.add(
        OrderEvent(
            order_id=booking.id,
            event_type="booking.created",
            event_data={
                "appointment_id": str(appointment.id),
                "staff_id": str(staff_id),
                "service_id": str(service.id),
                "start": placement.start.isoformat(),
                "total": format(price.normalize(), "f"),
                "currency": service.currency,
                "status": booking.status,
            },
            actor_user_id=actor_id,
        )
    )
    await session.flush()
    return booking
