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
rule ignores them), so the slot is free again at once. A cancellation also puts the
booking's products back in stock. A product-only sale (no appointment) can be completed
or cancelled, nothing else.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.orders import lines
from frontdesk.business.orders.lines import Actor
from frontdesk.business.orders.models import Booking
from frontdesk.business.orders.timeline import record_move as record_move  # re-exported
from frontdesk.business.scheduling.models import Appointment
from frontdesk.business.settings.models import BusinessSettings
from frontdesk.core.errors import ConflictError, NotFoundError, register_code
from frontdesk.core.events import DomainEvent, bus
from frontdesk.core.request_context import RequestMeta

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
    for_sales: bool = False  # also moves a product-only sale (no appointment)


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
        "booking.completed", for_sales=True,
    ),
    "no_show": Transition(
        _OPEN_BOOKING, _NOT_STARTED, "no_show", "no_show", "booking.no_show", after_start=True
    ),
    "cancel": Transition(
        _OPEN_BOOKING, _NOT_STARTED, "cancelled", "cancelled", "booking.cancelled",
        before_cutoff=True, for_sales=True,
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
    """Move ``booking`` (locked by :func:`locked_booking`) through ``action``; a
    cancellation puts its products back on the shelf. The move is published on the event
    bus under its event type (``booking.completed``, ``booking.cancelled``, ...)."""
    transition = TRANSITIONS[action]
    appointment = (
        await session.get(Appointment, booking.appointment_id) if booking.appointment_id else None
    )
    _ensure_allowed(transition, action, booking, appointment, now)
    overridden = False
    if transition.before_cutoff and appointment is not None:
        overridden = _check_cutoff(appointment, settings, now, may_override, reason)
    before = {"booking": booking.status, "appointment": _status(appointment)}
    booking.status = transition.booking_to
    if appointment is not None:
        appointment.status = transition.appointment_to
    data: dict[str, object] = {
        "from": before,
        "to": {"booking": booking.status, "appointment": _status(appointment)},
        "appointment_id": str(appointment.id) if appointment else None,
    }
    if reason:
        data["reason"] = reason
    if overridden:
        data["cutoff_overridden"] = True
    if action == "cancel" and (
        returned := await lines.return_products(session, booking, actor=Actor(actor_id, now, meta))
    ):
        data["returned_stock"] = returned
    await record_move(session, booking, transition.event, data, actor_id=actor_id, meta=meta)
    await bus.publish(session, DomainEvent(transition.event, _published(booking, actor_id)))


def _status(appointment: Appointment | None) -> str | None:
    return appointment.status if appointment else None


def _ensure_allowed(
    transition: Transition,
    action: str,
    booking: Booking,
    appointment: Appointment | None,
    now: datetime,
) -> None:
    allowed = booking.status in transition.booking_from and (
        transition.for_sales
        if appointment is None
        else appointment.status in transition.appointment_from
    )
    if not allowed:
        raise InvalidTransitionError(
            f"A {booking.status} booking cannot be moved by {action.replace('_', ' ')}.",
            status=booking.status,
        )
    if transition.after_start and appointment and now < appointment.appointment_date:
        raise InvalidTransitionError("A no-show can only be recorded after the start.")


def _check_cutoff(
    appointment: Appointment,
    settings: BusinessSettings,
    now: datetime,
    may_override: bool,
    reason: str | None,
) -> bool:
    """True if the cutoff had passed and was overridden; raises if it cannot be."""
    cutoff = appointment.appointment_date - timedelta(minutes=settings.cancellation_cutoff_minutes)
    if now <= cutoff:
        return False
    if not (may_override and reason):
        raise PastCutoffError(
            "The cancellation cutoff has passed; staff may override it with a reason.",
            cutoff=cutoff.isoformat(),
        )
    return True


def _published(booking: Booking, actor_id: uuid.UUID) -> dict[str, object]:
    """What subscribers (the rewards layer) get: ids and amounts, no personal data."""
    return {
        "booking_id": booking.id,
        "customer_id": booking.customer_id,
        "status": booking.status,
        "total": booking.total,
        "currency": booking.currency,
        "discount_source": booking.discount_source,
        "discount_reference_id": booking.discount_reference_id,
        "actor_id": actor_id,
    }
