"""What referrals do when the business layer publishes an event.

- ``customer.created`` with a referrer: open the pending referral (an error here undoes
  the customer's creation: it runs in the same transaction).
- ``booking.paid`` of a customer with a pending referral: that is their first paid
  booking (a referral is only ever opened before one, under the audit chain's lock that
  every ``booking.paid`` publisher holds), so the referral completes and both customers
  are credited ``referral_reward_points`` once. The referral's row lock and its status
  make a second delivery, or a concurrent one, change nothing.
- ``payment.refunded`` leaving that first booking with nothing paid, within
  ``referral_refund_window_days`` of the completion: the referral is cancelled and both
  credits reversed, as far as the balances go.

Lock order, as everywhere in rewards: the audit chain, then the referral, then the
customers' rows (by id), so two of these handlers never wait on each other in a cycle.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.payments import service as payments
from frontdesk.business.settings import service as business_settings
from frontdesk.core import clock
from frontdesk.core.events import DomainEvent, EventBus
from frontdesk.rewards.loyalty.ledger import MAX_BALANCE, move_points
from frontdesk.rewards.loyalty.models import LoyaltyTransaction as Tx
from frontdesk.rewards.referrals import service
from frontdesk.rewards.referrals.models import Referral
from frontdesk.security.audit import service as audit

CREDIT_NOTES = {
    "referrer": "Referral reward: a customer you referred",
    "referred": "Referral reward: welcome",
}
REVERSAL_NOTE = "Referral cancelled: first booking refunded"


async def on_customer_created(session: AsyncSession, event: DomainEvent) -> None:
    payload = event.payload
    if payload.get("referrer_id") is None:
        return
    await audit.lock_chain(session)  # before the referral row and the customers' keys
    await service.open_referral(
        session,
        referrer_id=payload["referrer_id"],
        referred_id=payload["customer_id"],
        via="creation",
        actor_id=payload.get("actor_id"),
    )


async def _lock_customers(
    session: AsyncSession, customer_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Customer]:
    """The customers' rows locked in id order (``FOR NO KEY UPDATE``, the lock the
    points update takes; see ``ledger.locked_balance``), read afresh."""
    query = (
        select(Customer)
        .where(Customer.id.in_(customer_ids))
        .order_by(Customer.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return {customer.id: customer for customer in await session.scalars(query)}


def _credits(
    referral: Referral, points: int, customers: dict[uuid.UUID, Customer]
) -> dict[str, int]:
    """Points each side gets: none for an erased customer (nobody to reward), never past
    the balance ceiling."""
    sides = {"referrer": referral.referrer_id, "referred": referral.referred_id}
    given: dict[str, int] = {}
    for side, customer_id in sides.items():
        customer = customers[customer_id]
        if customer.anonymized_at is None:
            given[side] = max(0, min(points, MAX_BALANCE - customer.loyalty_points))
        else:
            given[side] = 0
    return given


async def on_booking_paid(session: AsyncSession, event: DomainEvent) -> None:
    payload = event.payload
    customer_id: uuid.UUID | None = payload.get("customer_id")
    if customer_id is None:
        return
    pending = await session.scalar(
        select(Referral.id).where(Referral.referred_id == customer_id, Referral.status == "pending")
    )
    if pending is None:
        return  # the common case, decided without a lock
    await audit.lock_chain(session)
    referral = await service.locked(session, pending)
    if referral.status != "pending":
        return  # checked under the lock: a second delivery changes nothing
    await _complete(session, referral, payload["booking_id"], payload.get("actor_id"), clock.now())


async def _complete(
    session: AsyncSession,
    referral: Referral,
    booking_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    now: datetime,
) -> None:
    points = (await business_settings.get(session)).referral_reward_points
    customers = await _lock_customers(session, [referral.referrer_id, referral.referred_id])
    given = _credits(referral, points, customers)
    await audit.record(
        session,
        action="referral.complete",
        success=True,
        actor_id=actor_id,
        resource=f"referral:{referral.id}",
        details={"booking_id": booking_id, "reward_points": points, "credited": given},
    )
    referral.status, referral.completed_at, referral.reward_points = "completed", now, points
    sides = {"referrer": referral.referrer_id, "referred": referral.referred_id}
    for side, customer_id in sides.items():
        if given[side] > 0:
            # booking_id marks the qualifying booking: the refund rule finds it by it.
            await move_points(
                session,
                customer_id,
                points=given[side],
                reason="referral",
                now=now,
                actor_id=actor_id,
                referral_id=referral.id,
                booking_id=booking_id,
                note=CREDIT_NOTES[side],
            )
    await session.flush()


async def on_payment_refunded(session: AsyncSession, event: DomainEvent) -> None:
    payload = event.payload
    booking_id: uuid.UUID = payload["booking_id"]
    qualified = await session.scalar(
        select(Tx.referral_id)
        .where(Tx.booking_id == booking_id, Tx.reason == "referral", Tx.referral_id.is_not(None))
        .limit(1)
    )
    if qualified is None:
        return  # not the first booking of a referred customer, or nothing was credited
    window = (await business_settings.get(session)).referral_refund_window_days
    now = clock.now()
    await audit.lock_chain(session)
    referral = await service.locked(session, qualified)
    if not _cancellable(referral, window, now):
        return
    # Read under the lock: a concurrent refund of the same booking has committed by now.
    if (await payments.summary(session, booking_id)).net > 0:
        return  # part of the booking is still paid for: the referral stands
    await _cancel(session, referral, booking_id, payload.get("actor_id"))


def _cancellable(referral: Referral, window_days: int, now: datetime) -> bool:
    """Completed, and the refund comes less than ``window_days`` days after completion
    (0: refunds never cancel)."""
    if referral.status != "completed" or referral.completed_at is None or window_days <= 0:
        return False
    return now < referral.completed_at + timedelta(days=window_days)


async def _cancel(
    session: AsyncSession, referral: Referral, booking_id: uuid.UUID, actor_id: uuid.UUID | None
) -> None:
    """Cancel and take back each credit, as far as the balance goes (points already
    spent are not taken from thin air; the note says how many)."""
    rows = await session.execute(
        select(Tx.customer_id, Tx.points).where(
            Tx.referral_id == referral.id, Tx.reason == "referral"
        )
    )
    credited = {customer_id: points for customer_id, points in rows}
    customers = await _lock_customers(session, list(credited))
    taken = {cid: min(points, customers[cid].loyalty_points) for cid, points in credited.items()}
    await audit.record(
        session,
        action="referral.cancel",
        success=True,
        actor_id=actor_id,
        resource=f"referral:{referral.id}",
        details={"booking_id": booking_id, "reversed": {str(c): n for c, n in taken.items()}},
    )
    referral.status = "cancelled"
    for customer_id, points in sorted(taken.items()):
        if points <= 0:
            continue
        note = REVERSAL_NOTE
        if points < credited[customer_id]:
            note += f"; {credited[customer_id] - points} points not reversed: already spent"
        # No booking_id: the booking's own earn reversals sum its reversal rows by it.
        await move_points(
            session,
            customer_id,
            points=-points,
            reason="reversal",
            now=clock.now(),
            actor_id=actor_id,
            referral_id=referral.id,
            note=note,
        )
    await session.flush()


def subscribe(bus: EventBus) -> None:
    """Subscribe this domain's handlers; subscribing twice is harmless."""
    bus.subscribe("customer.created", on_customer_created)
    bus.subscribe("booking.paid", on_booking_paid)
    bus.subscribe("payment.refunded", on_payment_refunded)
