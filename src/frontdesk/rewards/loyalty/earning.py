"""Earning points on paid bookings and giving them back on refunds, from the business
layer's events (the business layer never imports this; see :func:`subscribe`).

Both handlers run inside the payment's transaction, after payments wrote its audit row,
so they take the customer's row lock last (the lock order of ``ledger``). Each reads
the ledger under that lock, which is what makes them safe to deliver twice.

- **Earn** (``booking.paid``): ``floor(net x points_per_currency_unit)`` points, once per
  booking (an ``earn`` row for the booking means done; a partial unique index is the
  backstop), only in the business currency (the rate is per unit of it), and only for
  bookings with a customer. ``net`` leaves out what was paid in points
  (``points_payments.points_paid``): points do not buy points. The reversal below
  measures ``net`` the same way, so refunding a points payment reverses nothing.
- **Reverse** (``payment.refunded``): the booking keeps
  ``floor(earned x min(net, earned_on) / earned_on)`` points, where ``net`` is what it
  has kept of its payments now and ``earned_on`` the net the points were earned on.
  Whatever of the rest is not yet reversed is taken back, as far as the balance goes:
  points already spent are not taken from thin air; the shortfall is written in the
  row's note and stays owed by the booking, so its next refund takes it first.
  Reversals never add up to more than the booking earned, and paying again after a
  refund earns nothing back (``booking.paid`` is published once per booking).
"""

from __future__ import annotations

import logging
import uuid
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.payments import service as payments
from frontdesk.business.settings import service as business_settings
from frontdesk.core import clock
from frontdesk.core.events import DomainEvent, EventBus
from frontdesk.core.money import format_amount
from frontdesk.rewards.loyalty.ledger import MAX_BALANCE, MAX_MOVE, locked_balance, move_points
from frontdesk.rewards.loyalty.models import LoyaltyTransaction
from frontdesk.rewards.loyalty.points_payments import points_paid

log = logging.getLogger("frontdesk.loyalty")


def points_for(net: Decimal, rate: Decimal) -> int:
    """Points earned on ``net`` at ``rate`` points per currency unit, rounded down."""
    if net <= 0 or rate <= 0:
        return 0
    return int((net * rate).to_integral_value(rounding=ROUND_FLOOR))


def points_kept(earned: int, net: Decimal, earned_on: Decimal) -> int:
    """What a booking keeps of ``earned`` points once its net is ``net``."""
    if earned_on <= 0:
        return 0
    share = min(max(net, Decimal(0)), earned_on)
    return int((earned * share) // earned_on)


async def _earn_row(session: AsyncSession, booking_id: uuid.UUID) -> LoyaltyTransaction | None:
    found: LoyaltyTransaction | None = await session.scalar(
        select(LoyaltyTransaction).where(
            LoyaltyTransaction.booking_id == booking_id, LoyaltyTransaction.reason == "earn"
        )
    )
    return found


async def on_booking_paid(session: AsyncSession, event: DomainEvent) -> None:
    payload = event.payload
    customer_id: uuid.UUID | None = payload.get("customer_id")
    booking_id: uuid.UUID = payload["booking_id"]
    if customer_id is None:
        return  # a sale to nobody in particular
    settings = await business_settings.get(session)
    rate, currency = settings.points_per_currency_unit, payload["currency"]
    if rate <= 0 or currency != settings.currency:
        return  # earning is off, or the rate is not in this booking's currency
    balance = await locked_balance(session, customer_id)
    if balance is None or await _earn_row(session, booking_id) is not None:
        return  # checked under the customer's lock: a second delivery changes nothing
    # The net as of now, not the event's: a refund of another payment of this booking
    # that committed meanwhile found no earn row to reverse, so it counts here. Money
    # paid in points earns nothing: points do not buy points.
    net = min(payload["net"], (await payments.summary(session, booking_id)).net)
    net -= await points_paid(session, booking_id)
    points = min(points_for(net, rate), MAX_MOVE, MAX_BALANCE - balance)
    if points <= 0:
        return
    rate_text = format(rate.normalize(), "f")
    await move_points(
        session,
        customer_id,
        points=points,
        reason="earn",
        now=clock.now(),
        actor_id=payload.get("actor_id"),
        booking_id=booking_id,
        amount=net,
        currency=currency,
        note=f"Earned on {format_amount(net, currency)} {currency} at {rate_text} per {currency}",
    )


async def _reversed_so_far(session: AsyncSession, booking_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(LoyaltyTransaction.points), 0)).where(
            LoyaltyTransaction.booking_id == booking_id, LoyaltyTransaction.reason == "reversal"
        )
    )
    return -int(total or 0)


async def _lock_earner(
    session: AsyncSession, booking_id: uuid.UUID, customer_id: uuid.UUID | None
) -> tuple[LoyaltyTransaction, int] | None:
    """The booking's earn row and its customer's balance, that customer's row locked.
    The lock comes first when the event names the customer, so an earn committing
    concurrently is seen rather than missed."""
    balance = await locked_balance(session, customer_id) if customer_id else None
    earned = await _earn_row(session, booking_id)
    if earned is None or earned.amount is None:
        return None  # the booking earned nothing
    if earned.customer_id != customer_id:
        balance = await locked_balance(session, earned.customer_id)
    return None if balance is None else (earned, balance)


async def on_payment_refunded(session: AsyncSession, event: DomainEvent) -> None:
    payload = event.payload
    booking_id: uuid.UUID = payload["booking_id"]
    found = await _lock_earner(session, booking_id, payload.get("customer_id"))
    if found is None:
        return
    earned, balance = found
    assert earned.amount is not None  # checked by _lock_earner
    # Read under the lock: a concurrent refund of this booking has committed by now.
    # Measured like the earning: without what was paid in points.
    net = (await payments.summary(session, booking_id)).net - await points_paid(session, booking_id)
    kept = points_kept(earned.points, net, earned.amount)
    owed = earned.points - kept - await _reversed_so_far(session, booking_id)
    taken = min(owed, balance)
    if taken <= 0:
        if owed > 0:
            log.info("booking %s: %d points not reversed (spent)", booking_id, owed)
        return
    refund, currency = payload["amount"], payload["currency"]
    note = f"Refund of {format_amount(refund, currency)} {currency}"
    if owed > taken:
        note += f"; {owed - taken} points not reversed: already spent"
    await move_points(
        session,
        earned.customer_id,
        points=-taken,
        reason="reversal",
        now=clock.now(),
        actor_id=payload.get("actor_id"),
        booking_id=booking_id,
        amount=refund,
        currency=currency,
        note=note,
    )


def subscribe(bus: EventBus) -> None:
    bus.subscribe("booking.paid", on_booking_paid)
    bus.subscribe("payment.refunded", on_payment_refunded)
