"""Expiring offers: the worker marks the unused copies of offers that have ended.

One statement does it, ``UPDATE customer_offers SET status = 'expired' WHERE status =
'available' AND offer_id IN (offers whose valid_until has passed)``, so a second run, or
a second worker, finds nothing more to do. Used copies stay ``used``: the booking
keeps its discount. Applying checks the window itself (with the server's clock), so an
offer that has ended is refused even before the job has run; the job makes the copies
say so, in the customer's list and in the statistics.

The job takes the audit chain's lock first, like every writer of offers, so it never
waits on a copy while holding something a redemption needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.rewards.offers.models import CustomerOffer, Offer
from frontdesk.security.audit import service as audit


async def expire_offers(session: AsyncSession, *, now: datetime) -> int:
    """Mark every available copy of an offer that ended at or before ``now`` as
    ``expired``; returns how many. The caller commits."""
    await audit.lock_chain(session)
    ended = select(Offer.id).where(Offer.valid_until <= now)
    result = await session.execute(
        update(CustomerOffer)
        .where(CustomerOffer.status == "available", CustomerOffer.offer_id.in_(ended))
        .values(status="expired", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    expired = cast(CursorResult[Any], result).rowcount
    if expired:
        await audit.record(
            session,
            action="offer.expire",
            success=True,
            resource="customer_offers",
            details={"expired": expired, "ended_by": now.isoformat()},
        )
    return expired
