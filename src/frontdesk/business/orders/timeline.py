"""A booking's timeline: every change to a booking, its appointment, its lines and its
payments writes one ``order_events`` row and the matching audit row, in the caller's
transaction, so the timeline commits with the change or not at all."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.orders.models import Booking, OrderEvent
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service as audit


def amount(value: Decimal) -> str:
    """Money in event data: an exact decimal string, never a float."""
    return format(value.normalize(), "f")


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
