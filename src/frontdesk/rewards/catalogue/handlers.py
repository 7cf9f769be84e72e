"""What this domain does when the business layer publishes an event.

A voucher applied to a booking goes back to its customer (``issued``) when the booking
no longer uses it: its discount was removed (``booking.discount_removed``) or the booking
was cancelled (``booking.cancelled``). Both run in the publisher's transaction, which
has locked the booking and written its audit row (so holds the chain): the voucher's
lock comes after, the order of ``vouchers``. Each handler checks the voucher under its
lock, so an event delivered twice changes nothing more.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.orders.discounts import DISCOUNT_REMOVED
from frontdesk.core.events import DomainEvent, EventBus
from frontdesk.rewards.catalogue import vouchers

SOURCE = "voucher"


async def on_discount_removed(session: AsyncSession, event: DomainEvent) -> None:
    payload = event.payload
    if payload.get("source") != SOURCE:
        return  # an offer: not ours
    await vouchers.release(
        session,
        payload["reference_id"],
        payload["booking_id"],
        cause=event.name,
        actor_id=payload.get("actor_id"),
    )


async def on_booking_cancelled(session: AsyncSession, event: DomainEvent) -> None:
    payload = event.payload
    if payload.get("discount_source") != SOURCE or payload.get("discount_reference_id") is None:
        return
    await vouchers.release(
        session,
        payload["discount_reference_id"],
        payload["booking_id"],
        cause=event.name,
        actor_id=payload.get("actor_id"),
    )


def subscribe(bus: EventBus) -> None:
    """Subscribe this domain's handlers; subscribing twice is harmless."""
    bus.subscribe(DISCOUNT_REMOVED, on_discount_removed)
    bus.subscribe("booking.cancelled", on_booking_cancelled)
