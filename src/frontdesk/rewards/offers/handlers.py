"""What offers do when the business layer publishes an event (it never imports this).

- ``booking.discount_removed`` (source ``offer``) and ``booking.cancelled`` (a booking
  carrying an offer): the copy is given back (``redemption.release``): the use is
  uncounted and the copy is available again, or ``expired`` if the offer has ended, or
  ``revoked`` if the customer holds another available copy by now. A booking completed
  or marked no-show keeps its offer used.
- ``customer.erased``: the person's available copies are revoked (nobody is left to use
  them) and the offer emails written to them, sent or not, are deleted, as erasure does
  for reminders. Used and expired copies stay, linked to the pseudonymized profile: they
  are the record of the discounts given.

Handlers run inside the publisher's transaction, which holds the booking (or the
customer) and the audit chain already: the lock order of ``redemption``.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.orders.discounts import DISCOUNT_REMOVED
from frontdesk.business.orders.models import Booking
from frontdesk.core import clock
from frontdesk.core.events import DomainEvent, EventBus
from frontdesk.core.outbox_models import OutboxMessage
from frontdesk.rewards.offers.handout import EMAIL_TEMPLATE
from frontdesk.rewards.offers.models import CustomerOffer
from frontdesk.rewards.offers.redemption import SOURCE, release
from frontdesk.security.audit import service as audit


def _id(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def on_discount_removed(session: AsyncSession, event: DomainEvent) -> None:
    payload = event.payload
    if payload.get("source") != SOURCE or payload.get("reference_id") is None:
        return
    await release(
        session,
        _id(payload["reference_id"]),
        _id(payload["booking_id"]),
        now=clock.now(),
        actor_id=payload.get("actor_id"),
        reason="discount_removed",
    )


async def on_booking_cancelled(session: AsyncSession, event: DomainEvent) -> None:
    payload = event.payload
    booking_id = _id(payload["booking_id"])
    source, reference = payload.get("discount_source"), payload.get("discount_reference_id")
    if "discount_source" not in payload:
        # A publisher that does not say: the booking (locked by the cancellation) does.
        booking = await session.get(Booking, booking_id)
        if booking is None:
            return
        source, reference = booking.discount_source, booking.discount_reference_id
    if source != SOURCE or reference is None:
        return
    await release(
        session,
        _id(reference),
        booking_id,
        now=clock.now(),
        actor_id=payload.get("actor_id"),
        reason="booking_cancelled",
    )


async def on_customer_erased(session: AsyncSession, event: DomainEvent) -> None:
    customer_id = _id(event.payload["customer_id"])
    revoked = await session.execute(
        update(CustomerOffer)
        .where(CustomerOffer.customer_id == customer_id, CustomerOffer.status == "available")
        .values(status="revoked", updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    emails = await session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.meta["template"].as_string() == EMAIL_TEMPLATE,
            OutboxMessage.meta["customer_id"].as_string() == str(customer_id),
        )
        .execution_options(synchronize_session=False)
    )
    counts = {
        "revoked": cast(CursorResult[Any], revoked).rowcount,
        "emails_deleted": cast(CursorResult[Any], emails).rowcount,
    }
    if any(counts.values()):
        await audit.record(
            session,
            action="offer.forget_customer",
            success=True,
            actor_id=event.payload.get("actor_id"),
            resource=f"customer:{customer_id}",
            details=counts,
        )


def subscribe(bus: EventBus) -> None:
    """Subscribe this domain's handlers; subscribing twice is harmless."""
    bus.subscribe(DISCOUNT_REMOVED, on_discount_removed)
    bus.subscribe("booking.cancelled", on_booking_cancelled)
    bus.subscribe("customer.erased", on_customer_erased)
