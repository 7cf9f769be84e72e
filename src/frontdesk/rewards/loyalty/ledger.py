"""The one way points change: :func:`move_points`, which writes the ``loyalty_transactions``
row in the same transaction, so a customer's ``loyalty_points`` always equals the sum of
their ledger rows.

Points never go below zero, under any concurrency. The change is a single conditional
UPDATE (``loyalty_points = loyalty_points + :p WHERE loyalty_points + :p >= 0``): on
PostgreSQL a concurrent debit waits for the row lock and re-checks the condition against
the committed balance; on SQLite writers are serialized by ``BEGIN IMMEDIATE``. The CHECK
constraint ``loyalty_points >= 0`` is the backstop either way, mapped to the same 409.
The balance is also capped at :data:`MAX_BALANCE`, far below the 32-bit column.

Lock order: a caller that also writes an audit row records it *before* moving points
(the audit chain, then the customer's row), the order payments already impose when the
``booking.paid`` handler runs inside them; the other order could deadlock.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.core.errors import (
    ConflictError,
    NotFoundError,
    register_code,
    register_constraint,
)
from frontdesk.rewards.loyalty.models import LOYALTY_REASONS, LoyaltyTransaction

INSUFFICIENT_POINTS = register_code("insufficient_points", 409, "Not enough points")
POINTS_LIMIT = register_code("points_limit", 409, "Points balance would exceed the limit")

CREDITS = frozenset({"earn", "referral", "refund"})
# An adjustment goes either way; a payment spends points on a booking (points_payments).
DEBITS = frozenset({"redeem", "expiry", "reversal", "payment"})
MAX_MOVE = 1_000_000  # points in one movement
MAX_BALANCE = 1_000_000_000  # MAX_BALANCE + MAX_MOVE still fits a 32-bit integer


class InsufficientPointsError(ConflictError):
    error = INSUFFICIENT_POINTS

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or "Not enough points for that movement.", **extra)


class PointsLimitError(ConflictError):
    error = POINTS_LIMIT


register_constraint("ck_customers_loyalty_points_non_negative", InsufficientPointsError)


def check_movement(reason: str, points: int) -> None:
    """Refuse a movement whose sign the reason does not allow (a programming error)."""
    if reason not in LOYALTY_REASONS:
        raise ValueError(f"unknown loyalty reason {reason!r}")
    if points == 0 or abs(points) > MAX_MOVE:
        raise ValueError(f"a points movement moves 1 to {MAX_MOVE} points, not {points}")
    if (reason in CREDITS and points < 0) or (reason in DEBITS and points > 0):
        raise ValueError(f"a {reason} cannot move {points:+d} points")


async def move_points(
    session: AsyncSession,
    customer_id: uuid.UUID,
    *,
    points: int,
    reason: str,
    now: datetime,
    actor_id: uuid.UUID | None,
    booking_id: uuid.UUID | None = None,
    reward_id: uuid.UUID | None = None,
    referral_id: uuid.UUID | None = None,
    note: str | None = None,
    expires_at: datetime | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
) -> LoyaltyTransaction:
    """Move ``points`` (signed) of a customer and write the ledger row; returns the row.

    Raises :class:`InsufficientPointsError` (409) below zero, :class:`PointsLimitError`
    (409) above :data:`MAX_BALANCE`, :class:`NotFoundError` for an unknown customer.
    """
    check_movement(reason, points)
    conditions = [Customer.id == customer_id, Customer.loyalty_points + points >= 0]
    if points > 0:
        conditions.append(Customer.loyalty_points + points <= MAX_BALANCE)
    moved = await session.execute(
        update(Customer)
        .where(*conditions)
        .values(loyalty_points=Customer.loyalty_points + points, updated_at=now)
        .returning(Customer.loyalty_points)
        .execution_options(synchronize_session="fetch")
    )
    balance_after = moved.scalar_one_or_none()
    if balance_after is None:
        await _refuse(session, customer_id, points)
    row = LoyaltyTransaction(
        customer_id=customer_id,
        points=points,
        reason=reason,
        booking_id=booking_id,
        reward_id=reward_id,
        referral_id=referral_id,
        balance_after=balance_after,
        expires_at=expires_at,
        actor_user_id=actor_id,
        note=note[:500] if note else None,
        amount=amount,
        currency=currency,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def _refuse(session: AsyncSession, customer_id: uuid.UUID, points: int) -> None:
    """Why the conditional update matched nothing."""
    balance = await session.scalar(
        select(Customer.loyalty_points).where(Customer.id == customer_id)
    )
    if balance is None:
        raise NotFoundError("No such customer.")
    if points > 0:
        raise PointsLimitError(
            f"{balance} points; {points:+d} would pass the limit of {MAX_BALANCE}.",
            available=balance,
        )
    raise InsufficientPointsError(
        f"Only {balance} points; cannot move {points:+d}.", available=balance
    )


async def locked_balance(
    session: AsyncSession, customer_id: uuid.UUID, *, skip_locked: bool = False
) -> int | None:
    """The customer's balance, their row locked until the transaction ends (None: no
    such customer, or with ``skip_locked`` someone else holds the row).

    ``FOR NO KEY UPDATE`` (PostgreSQL; SQLite's writers are serialized anyway), the lock
    the balance UPDATE itself takes: it does not wait on the key-share locks that rows
    inserted with a foreign key to the customer hold (a concurrent payment or refund of
    the same customer), which a plain ``FOR UPDATE`` would, and deadlock on the audit
    chain those transactions hold next."""
    query = select(Customer.loyalty_points).where(Customer.id == customer_id)
    query = query.with_for_update(key_share=True, skip_locked=skip_locked)
    balance: int | None = await session.scalar(query)
    return balance


def history(customer_id: uuid.UUID) -> Select[Any]:
    """A customer's ledger rows, for :func:`frontdesk.core.pagination.paginate`."""
    return select(LoyaltyTransaction).where(LoyaltyTransaction.customer_id == customer_id)
