"""Vouchers: redeeming a reward for points, applying the voucher to an open booking,
giving it back when the booking no longer uses it, cancelling and expiring it.

A voucher moves ``issued -> applied`` (on one open booking) and back to ``issued`` when
that booking's discount is removed or the booking is cancelled; ``issued -> cancelled``
(staff; the points and the stock come back) and ``issued -> expired`` (the worker, once
``expires_at`` has passed; nothing comes back). An applied voucher stays applied when its
booking completes or is a no-show: it was used.

Invariants, kept by the database under any concurrency:

- **Points never overspent**: the debit is :func:`ledger.move_points` (a conditional
  UPDATE), 409 ``insufficient_points`` and nothing else written when short.
- **Stock never oversold**: ``UPDATE rewards SET stock = stock - 1 WHERE stock > 0``
  under the reward's row lock, the CHECK ``stock >= 0`` as backstop; 409
  ``reward_out_of_stock``.
- **One voucher per booking, one booking per voucher**: the voucher's row is locked while
  it moves, its status is checked under the lock, the booking carries one discount
  (``orders.discounts``) and the partial unique index
  ``uq_reward_vouchers_applied_booking_id`` is the backstop.

Lock order, the same in every path: the booking (applying; the business layer locks it
first), the audit chain, the voucher, the reward, the customer. Each path takes the
chain (``audit.lock_chain``) before any rewards row, as the payment and cancellation
handlers run with the chain already held.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.orders import discounts, lifecycle
from frontdesk.business.orders.lines import Actor, ensure_open
from frontdesk.business.orders.models import Booking, BookingItem
from frontdesk.core.errors import (
    ConflictError,
    NotFoundError,
    register_code,
    register_constraint,
)
from frontdesk.core.request_context import RequestMeta
from frontdesk.rewards.catalogue import service as rewards
from frontdesk.rewards.catalogue.conditions import StoredConditions, discount_rule, unmet
from frontdesk.rewards.catalogue.models import Reward, RewardVoucher
from frontdesk.rewards.loyalty.ledger import move_points
from frontdesk.security.audit import service as audit

BATCH_SIZE = 500  # vouchers expired per call of the worker's job

UNAVAILABLE = register_code("reward_unavailable", 409, "The reward is not available")
OUT_OF_STOCK = register_code("reward_out_of_stock", 409, "The reward is out of stock")
NOT_ISSUED = register_code("voucher_unavailable", 409, "The voucher cannot be used")
EXPIRED = register_code("voucher_expired", 409, "The voucher has expired")
WRONG_CUSTOMER = register_code(
    "voucher_customer_mismatch", 409, "The voucher belongs to another customer"
)
CONDITIONS_UNMET = register_code(
    "voucher_conditions_not_met", 409, "The booking does not meet the reward's conditions"
)


class RewardUnavailableError(ConflictError):
    error = UNAVAILABLE


class OutOfStockError(ConflictError):
    error = OUT_OF_STOCK


class VoucherUnavailableError(ConflictError):
    error = NOT_ISSUED


class VoucherExpiredError(ConflictError):
    error = EXPIRED


class WrongCustomerError(ConflictError):
    error = WRONG_CUSTOMER


class ConditionsUnmetError(ConflictError):
    error = CONDITIONS_UNMET


register_constraint("ck_rewards_stock_non_negative", OutOfStockError)
register_constraint("uq_reward_vouchers_applied_booking_id", discounts.DiscountAlreadyAppliedError)
# SQLite names the column, not the index; the partial index is its only unique rule.
register_constraint(
    "UNIQUE constraint failed: reward_vouchers.booking_id", discounts.DiscountAlreadyAppliedError
)


# --- redeeming -------------------------------------------------------------------------


async def redeem(
    session: AsyncSession,
    reward_id: uuid.UUID,
    customer_id: uuid.UUID,
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
    now: datetime,
) -> tuple[RewardVoucher, int]:
    """Spend the reward's points cost of the customer's points on one voucher: the stock,
    the points, the voucher and the audit row, all or nothing. Returns the voucher and
    the customer's balance after it."""
    customer = await session.get(Customer, customer_id)
    if customer is None or customer.anonymized_at is not None:
        raise NotFoundError("No such customer.")
    await audit.lock_chain(session)
    reward = await rewards.locked(session, reward_id)
    if not reward.is_active:
        raise RewardUnavailableError("This reward is no longer offered.")
    conditions = StoredConditions.of(reward.conditions)
    await _take_one(session, reward, now)
    voucher = RewardVoucher(
        customer_id=customer_id,
        reward_id=reward.id,
        status="issued",
        points_spent=conditions.points_cost,
        expires_at=now + timedelta(days=conditions.valid_days) if conditions.valid_days else None,
    )
    session.add(voucher)
    await session.flush()
    spent = await move_points(
        session,
        customer_id,
        points=-conditions.points_cost,
        reason="redeem",
        now=now,
        actor_id=actor_id,
        reward_id=reward.id,
        note=f"Redeemed {reward.name} (voucher {voucher.id})",
    )
    details: dict[str, Any] = {"reward_id": str(reward.id), "customer_id": str(customer_id)}
    details["points"] = conditions.points_cost
    await _audit(session, "reward_voucher.redeem", voucher, details, actor_id, meta)
    return voucher, spent.balance_after


async def _take_one(session: AsyncSession, reward: Reward, now: datetime) -> None:
    """One unit of a limited reward's stock, or 409; unlimited rewards have no stock."""
    if reward.stock is None:
        return
    left = await session.scalar(
        update(Reward)
        .where(Reward.id == reward.id, Reward.stock > 0)
        .values(stock=Reward.stock - 1, updated_at=now)
        .returning(Reward.stock)
        .execution_options(synchronize_session="fetch")
    )
    if left is None:
        raise OutOfStockError("This reward is out of stock.", stock=0)


# --- applying to a booking, and giving back --------------------------------------------


async def apply(
    session: AsyncSession,
    voucher_id: uuid.UUID,
    booking_id: uuid.UUID,
    *,
    actor: Actor,
    owner: uuid.UUID | None = None,
) -> tuple[RewardVoucher, Booking]:
    """Put the voucher's discount on an open booking of its customer. ``owner`` (the
    caller's own profile on the self-service route): another customer's booking or
    voucher is a 404, like one that does not exist."""
    booking = await lifecycle.locked_booking(session, booking_id)
    if owner is not None and booking.customer_id != owner:
        raise NotFoundError("No such booking.")
    ensure_open(booking)
    await audit.lock_chain(session)
    voucher = await _locked(session, voucher_id, owner=owner)
    if voucher.customer_id != booking.customer_id:
        raise WrongCustomerError("The voucher belongs to another customer than the booking.")
    _ensure_usable(voucher, actor.now)
    reward = await rewards.get(session, voucher.reward_id, active_only=False)
    conditions = StoredConditions.of(reward.conditions)
    why = unmet(reward.type, conditions, **await _booking_facts(session, booking))
    if why is not None:
        raise ConditionsUnmetError(why)
    rule = discount_rule(reward.type, reward.value, conditions)
    await discounts.apply_discount(
        session, booking, rule, source="voucher", reference_id=voucher.id, actor=actor
    )
    voucher.status, voucher.booking_id, voucher.applied_at = "applied", booking.id, actor.now
    await session.flush()
    return voucher, booking


async def _booking_facts(session: AsyncSession, booking: Booking) -> dict[str, Any]:
    lines = (
        await session.execute(
            select(BookingItem.service_id, BookingItem.product_id).where(
                BookingItem.booking_id == booking.id
            )
        )
    ).all()
    return {
        "subtotal": booking.subtotal,
        "currency": booking.currency,
        "service_ids": {line.service_id for line in lines if line.service_id is not None},
        "product_ids": {line.product_id for line in lines if line.product_id is not None},
    }


async def release(
    session: AsyncSession,
    voucher_id: uuid.UUID,
    booking_id: uuid.UUID,
    *,
    cause: str,
    actor_id: uuid.UUID | None,
) -> bool:
    """The voucher applied to ``booking_id`` goes back to ``issued`` (the booking's
    discount was removed, or the booking cancelled); False if it was not applied there
    (a second delivery of the event changes nothing). The caller holds the chain."""
    voucher = await session.scalar(
        select(RewardVoucher)
        .where(RewardVoucher.id == voucher_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if voucher is None or voucher.status != "applied" or voucher.booking_id != booking_id:
        return False
    voucher.status, voucher.booking_id, voucher.applied_at = "issued", None, None
    await session.flush()
    details = {"booking_id": str(booking_id), "cause": cause}
    await _audit(session, "reward_voucher.release", voucher, details, actor_id, None)
    return True


# --- cancelling and expiring -----------------------------------------------------------


async def cancel(
    session: AsyncSession,
    voucher_id: uuid.UUID,
    *,
    reason: str | None,
    actor_id: uuid.UUID,
    meta: RequestMeta,
    now: datetime,
) -> tuple[RewardVoucher, int]:
    """Staff take back an unused, unexpired voucher: its points are refunded and a
    limited reward's stock gets the unit back. Returns it and the points refunded."""
    await audit.lock_chain(session)
    voucher = await _locked(session, voucher_id)
    _ensure_usable(voucher, now)
    voucher.status = "cancelled"
    await session.flush()
    await session.execute(
        update(Reward)
        .where(Reward.id == voucher.reward_id, Reward.stock.is_not(None))
        .values(stock=Reward.stock + 1, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    details = {"reason": reason, "points_refunded": voucher.points_spent}
    await _audit(session, "reward_voucher.cancel", voucher, details, actor_id, meta)
    if not voucher.points_spent:
        return voucher, 0
    note = f"Voucher {voucher.id} cancelled" + (f": {reason}" if reason else "")
    await move_points(
        session,
        voucher.customer_id,
        points=voucher.points_spent,
        reason="refund",
        now=now,
        actor_id=actor_id,
        reward_id=voucher.reward_id,
        note=note,
    )
    return voucher, voucher.points_spent


async def expire_vouchers(session: AsyncSession, *, now: datetime) -> int:
    """For the worker: issued vouchers past their ``expires_at`` become ``expired`` (their
    points are not refunded), at most :data:`BATCH_SIZE` per call; returns how many
    (call again while it returns :data:`BATCH_SIZE`). Vouchers someone holds right now
    are skipped until the next pass; one audit row per call that expired any."""
    await audit.lock_chain(session)
    due = (
        select(RewardVoucher.id)
        .where(
            RewardVoucher.status == "issued",
            RewardVoucher.expires_at.is_not(None),
            RewardVoucher.expires_at <= now,
        )
        .order_by(RewardVoucher.expires_at, RewardVoucher.id)
        .limit(BATCH_SIZE)
        .with_for_update(skip_locked=True)
    )
    ids = list(await session.scalars(due))
    if not ids:
        return 0
    await session.execute(
        update(RewardVoucher)
        .where(RewardVoucher.id.in_(ids), RewardVoucher.status == "issued")
        .values(status="expired", updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    await audit.record(
        session,
        action="reward_voucher.expire",
        success=True,
        resource="reward_vouchers",
        details={"count": len(ids), "voucher_ids": [str(i) for i in ids]},
    )
    return len(ids)


# --- reading ---------------------------------------------------------------------------


def listing(*, customer_id: uuid.UUID | None, status: str | None) -> Select[Any]:
    """Vouchers, for :func:`frontdesk.core.pagination.paginate`."""
    query = select(RewardVoucher)
    if customer_id is not None:
        query = query.where(RewardVoucher.customer_id == customer_id)
    if status is not None:
        query = query.where(RewardVoucher.status == status)
    return query


async def rewards_of(session: AsyncSession, page: list[RewardVoucher]) -> dict[uuid.UUID, Reward]:
    """The rewards of a page of vouchers, in one query."""
    ids = {voucher.reward_id for voucher in page}
    if not ids:
        return {}
    found = await session.scalars(select(Reward).where(Reward.id.in_(ids)))
    return {reward.id: reward for reward in found}


async def balance_of(session: AsyncSession, customer_id: uuid.UUID) -> int:
    balance = await session.scalar(
        select(Customer.loyalty_points).where(Customer.id == customer_id)
    )
    return int(balance or 0)


async def _locked(
    session: AsyncSession, voucher_id: uuid.UUID, *, owner: uuid.UUID | None = None
) -> RewardVoucher:
    query = select(RewardVoucher).where(RewardVoucher.id == voucher_id)
    if owner is not None:
        query = query.where(RewardVoucher.customer_id == owner)
    voucher = await session.scalar(
        query.with_for_update().execution_options(populate_existing=True)
    )
    if voucher is None:
        raise NotFoundError("No such voucher.")
    return voucher


def _ensure_usable(voucher: RewardVoucher, now: datetime) -> None:
    if voucher.status != "issued":
        raise VoucherUnavailableError(
            f"The voucher is {voucher.status}; only an issued voucher can be used.",
            status=voucher.status,
        )
    if voucher.expires_at is not None and voucher.expires_at <= now:
        raise VoucherExpiredError(
            "The voucher has expired.", expires_at=voucher.expires_at.isoformat()
        )


async def _audit(
    session: AsyncSession,
    action: str,
    voucher: RewardVoucher,
    details: dict[str, Any],
    actor_id: uuid.UUID | None,
    meta: RequestMeta | None,
) -> None:
    await audit.record(
        session,
        action=action,
        success=True,
        actor_id=actor_id,
        resource=f"reward_voucher:{voucher.id}",
        details=details,
        meta=meta,
    )
