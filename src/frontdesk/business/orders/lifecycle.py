"""A booking's lifecycle: one explicit table of transitions, each writing the new
states, a timeline entry and an audit row in the request's transaction.

A booking and its appointment move together; the pair's current states decide what is
allowed. Anything not in :data:`TRANSITIONS` answers 409 ``invalid_transition``, and the
booking's row is locked while deciding, so two transitions never interleave.

| action   | from (booking / appointment)          | to (booking / appointment) |
|----------|---------------------------------------|----------------------------|
| confirm  | pending / scheduled                   | confirmed / confirmed      |
| check_in | confirmed / confirmed                 | confirmed / checked_in     |
| complete | confirmed / checked_in                | completed / completed      |
| no_show  | pending, confirmed / not yet started  | no_show / no_show          |
| cancel   | pending, confirmed / not yet started  | cancelled / cancelled      |

A no-show is recorded only after the start; a cancellation only before the cutoff
(``cancellation_cutoff_minutes``), unless the caller may override it and gives a reason.

Cancelled and no-show appointments stop holding the staff member's time (the no-overlap
rule ignores them), so the slot is free again at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.orders.models import Booking, OrderEvent
from frontdesk.business.scheduling.models import Appointment
from frontdesk.business.settings.models import BusinessSettings
from frontdesk.core.errors import ConflictError, NotFoundError, register_code
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service as audit

INVALID_TRANSITION = register_code("invalid_transition", 409, "Not allowed in this state")
PAST_CUTOFF = register_code("cancellation_cutoff_passed", 409, "Too late to cancel")
PAST_RESCHEDULE_CUTOFF = register_code("reschedule_cutoff_passed", 409, "Too late to move")


class InvalidTransitionError(ConflictError):
    error = INVALID_TRANSITION


class PastCutoffError(ConflictError):
    error = PAST_CUTOFF


class PastRescheduleCutoffError(ConflictError):
    error = PAST_RESCHEDULE_CUTOFF


@dataclass(frozen=True)
class Transition:
    booking_from: frozenset[str]
    appointment_from: frozenset[str]
    booking_to: str
    appointment_to: str
    event: str
    after_start: bool = False
    before_cutoff: bool = False


_OPEN_BOOKING = frozenset({"pending", "confirmed"})
_NOT_STARTED = frozenset({"scheduled", "confirmed"})

TRANSITIONS: dict[str, Transition] = {
    "confirm": Transition(
        frozenset({"pending"}), frozenset({"scheduled"}), "confirmed", "confirmed",
        "booking.confirmed",
    ),
    "check_in": Transition(
        frozenset({"confirmed"}), frozenset({"confirmed"}), "confirmed", "checked_in",
        "appointment.checked_in",
    ),
    "complete": Transition(
        frozenset({"confirmed"}), frozenset({"checked_in"}), "completed", "completed",
        "booking.completed",
    ),
    "no_show": Transition(
        _OPEN_BOOKING, _NOT_STARTED, "no_show", "no_show", "booking.no_show", after_start=True
    ),
    "cancel": Transition(
        _OPEN_BOOKING, _NOT_STARTED, "cancelled", "cancelled", "booking.cancelled",
        before_cutoff=True,
    ),
}  # fmt: skip


async def locked_booking(session: AsyncSession, booking_id: uuid.UUID) -> Booking:
    booking = await session.scalar(
        select(Booking).where(Booking.id == booking_id).with_for_update()
    )
    if booking is None:
        raise NotFoundError("No such booking.")
    return booking


async def apply(
    session: AsyncSession,
    booking: Booking,
    action: str,
    *,
    settings: BusinessSettings,
    now: datetime,
    may_override: bool,
    reason: str | None,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> None:
    """Move ``booking`` (locked by :func:`locked_booking`) through ``action``."""
    transition = TRANSITIONS[action]
    appointment = await session.get(Appointment, booking.appointment_id)
    if (
        appointment is None
        or booking.status not in transition.booking_from
        or appointment.status not in transition.appointment_from
    ):
        raise InvalidTransitionError(
            f"A {booking.status} booking cannot be moved by {action.replace('_', ' ')}.",
            status=booking.status,
        )
    if transition.after_start and now < appointment.appointment_date:
        raise InvalidTransitionError("A no-show can only be recorded after the start.")
    overridden = False
    if transition.before_cutoff:
        cutoff = appointment.appointment_date - timedelta(
            minutes=settings.cancellation_cutoff_minutes
        )
        if now > cutoff:
            if not (may_override and reason):
                raise PastCutoffError(
                    "The cancellation cutoff has passed; staff may override it with a reason.",
                    cutoff=cutoff.isoformat(),
                )
            overridden = True
    before = {"booking": booking.status, "appointment": appointment.status}
    booking.status = transition.booking_to
    appointment.status = transition.appointment_to
    data: dict[str, object] = {
        "from": before,
        "to": {"booking": booking.status, "appointment": appointment.status},
        "appointment_id": str(appointment.id),
    }
    if reason:
        data["reason"] = reason
    if overridden:
        data["cutoff_overridden"] = True
    await record_move(session, booking, transition.event, data, actor_id=actor_id, meta=meta)


async def record_move(
    session: AsyncSession,
    booking: Booking,
    event: str,
    data: dict[str, object],
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> None:
    """One timeline entry and the matching audit row, in the caller's transaction."""
    session.add(
        OrderEvent(order_id=booking.id, event_type=event, event_data=data, actor_user_id=actor_id)
    )
    await session.flush()
    await audit.record(
        session,
        action=event,
        success=True,
        actor_id=actor_id,
        resource=f"booking:{booking.id}",
        details=data,
        meta=meta,
    )
