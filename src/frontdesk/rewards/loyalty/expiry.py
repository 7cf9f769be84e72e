"""Expiring points, oldest first, run by the worker.

The rule: with ``points_expiry_months`` = N (0 = never), points credited more than N
calendar months ago that have not been spent expire. Spending (any debit: a redemption,
a refund's reversal, a negative adjustment, an earlier expiry) always uses the oldest
points first, so the unspent points are the newest ones, and what is due to expire at
``now`` is exactly::

    due = max(0, credits made at or before (now - N months) - everything ever debited)

No per-credit bookkeeping is needed: the ledger's two sums answer it, and writing the
``expiry`` row (a debit) makes ``due`` zero until more credits age past the cutoff, so a
second run, or a second worker, expires nothing more. ``due`` never exceeds the balance
(the balance is all credits minus all debits). Every credit ages the same way, whatever
its reason, and the setting applies to every point when the job runs: changing N moves
every not-yet-expired point's deadline.

Customers are locked one at a time with ``SKIP LOCKED`` (on PostgreSQL): a customer
whose row is busy (a payment, an adjustment, another worker) is left for the next pass.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.settings import service as business_settings
from frontdesk.rewards.loyalty.ledger import locked_balance, move_points
from frontdesk.rewards.loyalty.models import LoyaltyTransaction

BATCH_SIZE = 100
Tx = LoyaltyTransaction


def months_before(moment: datetime, months: int) -> datetime:
    """``moment`` minus whole calendar months; the day is clamped (31 March - 1 = 28/29
    February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _due(cutoff: datetime) -> ColumnElement[Any]:
    aged = case((Tx.points > 0, case((Tx.created_at <= cutoff, Tx.points), else_=0)), else_=0)
    debited = case((Tx.points < 0, Tx.points), else_=0)
    return func.coalesce(func.sum(aged), 0) + func.coalesce(func.sum(debited), 0)


async def due_points(session: AsyncSession, customer_id: uuid.UUID, cutoff: datetime) -> int:
    """Points of one customer credited at or before ``cutoff`` and still unspent."""
    due = await session.scalar(select(_due(cutoff)).where(Tx.customer_id == customer_id))
    return max(0, int(due or 0))


@dataclass(frozen=True)
class ExpiryBatch:
    candidates: int  # customers found with points due (at most BATCH_SIZE)
    customers: int  # customers whose points were expired
    points: int


async def expire_batch(session: AsyncSession, *, now: datetime) -> ExpiryBatch:
    """Expire the due points of up to :data:`BATCH_SIZE` customers, one ``expiry`` row
    each. Run batches until ``candidates < BATCH_SIZE`` or a batch expired nothing."""
    months = (await business_settings.get(session)).points_expiry_months
    if months <= 0:
        return ExpiryBatch(0, 0, 0)
    cutoff = months_before(now, months)
    due = _due(cutoff)
    found = await session.scalars(
        select(Tx.customer_id)
        .group_by(Tx.customer_id)
        .having(due > 0)
        .order_by(Tx.customer_id)
        .limit(BATCH_SIZE)
    )
    candidates = list(found)
    customers = points = 0
    for customer_id in candidates:
        expired = await _expire(session, customer_id, cutoff, now)
        customers, points = customers + bool(expired), points + expired
    return ExpiryBatch(len(candidates), customers, points)


async def _expire(
    session: AsyncSession, customer_id: uuid.UUID, cutoff: datetime, now: datetime
) -> int:
    balance = await locked_balance(session, customer_id, skip_locked=True)
    if not balance:
        return 0  # busy (next pass), or nothing left
    # Recomputed under the lock: a debit that committed meanwhile used the oldest points.
    due = min(await due_points(session, customer_id, cutoff), balance)
    if due <= 0:
        return 0
    await move_points(
        session,
        customer_id,
        points=-due,
        reason="expiry",
        now=now,
        actor_id=None,
        note=f"Unspent points credited on or before {cutoff:%Y-%m-%d %H:%M} UTC",
    )
    return due
