"""Reading a customer's points and adjusting them by hand."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.settings import service as business_settings
from frontdesk.core.errors import NotFoundError
from frontdesk.core.pagination import page_of, paginate
from frontdesk.core.request_context import RequestMeta
from frontdesk.rewards.loyalty import ledger
from frontdesk.rewards.loyalty.expiry import months_before
from frontdesk.rewards.loyalty.models import LoyaltyTransaction as Tx
from frontdesk.rewards.loyalty.schemas import AdjustmentCreate, NextExpiry, PointsRead, T
from frontdesk.security.audit import service as audit


async def points(
    session: AsyncSession,
    customer: Customer,
    row_type: type[T],
    *,
    limit: int,
    cursor: str | None,
) -> PointsRead[T]:
    """The balance and one page of history (newest first) of ``customer``."""
    query = paginate(ledger.history(customer.id), Tx.id, cursor, limit)
    items, next_cursor = page_of((await session.scalars(query)).all(), limit, lambda r: r.id)
    months = (await business_settings.get(session)).points_expiry_months
    return PointsRead[T](
        customer_id=customer.id,
        balance=customer.loyalty_points,
        expiry_months=months,
        next_expiry=await next_expiry(session, customer.id, months) if months else None,
        items=[row_type.model_validate(row) for row in items],
        next_cursor=next_cursor,
    )


async def next_expiry(
    session: AsyncSession, customer_id: uuid.UUID, months: int
) -> NextExpiry | None:
    """The oldest credit not entirely spent (spending uses the oldest points first, see
    ``expiry``): what is left of it and when it expires, or None."""
    debited = await session.scalar(
        select(func.coalesce(-func.sum(Tx.points), 0)).where(
            Tx.customer_id == customer_id, Tx.points < 0
        )
    )
    running = func.sum(Tx.points).over(order_by=(Tx.created_at, Tx.id))
    credits = (
        select(Tx.id, Tx.created_at, Tx.points, running.label("running"))
        .where(Tx.customer_id == customer_id, Tx.points > 0)
        .subquery()
    )
    oldest = (
        await session.execute(
            select(credits.c.created_at, credits.c.points, credits.c.running)
            .where(credits.c.running > (debited or 0))
            .order_by(credits.c.created_at, credits.c.id)
            .limit(1)
        )
    ).first()
    if oldest is None:
        return None
    created_at, size, running_total = oldest
    left = min(size, running_total - (debited or 0))
    return NextExpiry(points=left, expires_at=months_before(created_at, -months))


async def adjust(
    session: AsyncSession,
    customer_id: uuid.UUID,
    body: AdjustmentCreate,
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
    now: datetime,
) -> Tx:
    """A manual, audited movement with its reason. The audit row is written first: it
    takes the audit chain's lock before the customer's row, the order a payment's
    ``booking.paid`` handler takes them in, so the two can never deadlock."""
    customer = await session.get(Customer, customer_id)
    if customer is None or customer.anonymized_at is not None:
        raise NotFoundError("No such customer.")  # erased: nobody to reward or charge
    await audit.record(
        session,
        action="loyalty.adjust",
        success=True,
        actor_id=actor_id,
        resource=f"customer:{customer_id}",
        details={"points": body.points, "reason": body.reason},
        meta=meta,
    )
    return await ledger.move_points(
        session,
        customer_id,
        points=body.points,
        reason="adjustment",
        now=now,
        actor_id=actor_id,
        note=body.reason,
    )
