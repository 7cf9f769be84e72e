"""Recording, moving and refunding a booking's payments, in the caller's transaction.

Each change writes the payment row, one timeline entry per move (``order_events``) and
an audit row through ``orders.timeline.record_move``, so they commit together or not
at all; the provider is called before any of that is final, so a provider that raises
leaves nothing behind.

Locks, always taken in this order (so two requests never wait on each other in a
cycle): the booking's row, then the payment's row, then (last, inside ``record_move``)
the audit chain.

- Recording a payment locks the booking: the balance check and the insert cannot
  interleave with another payment of the same booking (no overpayment).
- Capturing, voiding and failing lock the booking, then the payment.
- A refund locks the payment being refunded, then sums its refunds: a concurrent
  refund of the same payment waits for the lock and then sees the first one, so the
  refunds of a payment never add up to more than its amount.

Rules: a payment is at most what the booking still owes (``total - net - held``; no
overpayment and no tips: a tip is a line of the booking); a cancelled booking takes no
new payments but can be refunded; ``booking.paid`` is published once, the first time
the net captured amount reaches the booking's total.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.orders.lifecycle import locked_booking
from frontdesk.business.orders.models import Booking, OrderEvent
from frontdesk.business.orders.timeline import amount as amount_text
from frontdesk.business.orders.timeline import record_move
from frontdesk.business.payments import ledger, providers, rules
from frontdesk.business.payments.models import PaymentTransaction
from frontdesk.business.payments.schemas import (
    PaymentCreate,
    PaymentSummary,
    RefundCreate,
)
from frontdesk.core.errors import NotFoundError
from frontdesk.core.events import DomainEvent, bus
from frontdesk.core.request_context import RequestMeta

ZERO = Decimal(0)
Payment = PaymentTransaction


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    meta: RequestMeta


async def summary(session: AsyncSession, booking_id: uuid.UUID) -> PaymentSummary:
    """Paid, refunded, net and balance due of one booking (for its read model)."""
    booking = await session.get(Booking, booking_id)
    if booking is None:
        raise NotFoundError("No such booking.")
    return ledger.summary_of(booking, await ledger.totals(session, booking.id))


# --- changes --------------------------------------------------------------------------


def _check_room(totals: ledger.Totals) -> None:
    if totals.count >= rules.MAX_TRANSACTIONS_PER_BOOKING:
        raise rules.TooManyTransactionsError(
            f"A booking takes at most {rules.MAX_TRANSACTIONS_PER_BOOKING} payments and refunds."
        )


def _check_payable(booking: Booking) -> None:
    if booking.status in rules.UNPAYABLE_BOOKINGS:
        raise rules.NotPayableError(f"A {booking.status} booking takes no payments.")


async def record_payment(
    session: AsyncSession,
    booking_id: uuid.UUID,
    data: PaymentCreate,
    *,
    actor: Actor,
    idempotency_key: str | None,
) -> Payment:
    """A new payment, captured at once or only authorized (held)."""
    provider = providers.provider_for(data.method)
    if not data.capture and not provider.supports_authorization:
        raise providers.AuthorizationUnsupportedError(f"A {data.method} payment cannot be held.")
    booking = await locked_booking(session, booking_id)
    _check_payable(booking)
    amount = rules.check_amount(data.amount, data.currency, booking.currency)
    totals = await ledger.totals(session, booking.id)
    _check_room(totals)
    # Held money counts as promised: two holds cannot together pass the total.
    due = booking.total - totals.net - totals.held
    if amount > due:
        raise rules.ExceedsBalanceError(
            f"The booking owes {amount_text(max(due, ZERO))} {booking.currency}.",
            balance_due=amount_text(max(due, ZERO)),
        )
    payment = Payment(
        booking_id=booking.id,
        customer_id=booking.customer_id,
        amount=amount,
        currency=booking.currency,
        payment_method=data.method,
        status="pending",
        kind="payment",
        external_reference=data.external_reference,
        idempotency_key=idempotency_key,
    )
    session.add(payment)
    await session.flush()
    move = rules.check_move("payment", payment.status, "capture" if data.capture else "authorize")
    await _perform(session, booking, payment, move, actor, new=True)
    return payment


async def _locked_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment:
    payment = await session.scalar(
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payment is None:
        raise NotFoundError("No such payment.")
    return payment


async def move_payment(
    session: AsyncSession,
    payment_id: uuid.UUID,
    action: str,
    *,
    actor: Actor,
    reason: str | None = None,
) -> Payment:
    """``capture``, ``void`` or ``fail`` an existing payment (see ``rules.TRANSITIONS``)."""
    booking_id = await session.scalar(select(Payment.booking_id).where(Payment.id == payment_id))
    if booking_id is None:
        raise NotFoundError("No such payment.")
    booking = await locked_booking(session, booking_id)
    payment = await _locked_payment(session, payment_id)
    move = rules.check_move(payment.kind, payment.status, action)
    if move.target == "captured":
        _check_payable(booking)
        totals = await ledger.totals(session, booking.id)
        if totals.net + payment.amount > booking.total:
            raise rules.ExceedsBalanceError(
                "Capturing this would take more than the booking's total; void it instead.",
                balance_due=amount_text(max(booking.total - totals.net, ZERO)),
            )
    await _perform(session, booking, payment, move, actor, reason=reason)
    return payment


Hook = Callable[[AsyncSession, providers.ProviderCall], Awaitable[str | None]]


def _hook(provider: providers.PaymentProvider, name: str) -> Hook:
    hooks: dict[str, Hook] = {
        "authorize": provider.authorize,
        "capture": provider.capture,
        "void": provider.void,
        "refund": provider.refund,
    }
    return hooks[name]


def _call(payment: Payment, original: Payment | None = None) -> providers.ProviderCall:
    return providers.ProviderCall(
        payment_id=payment.id,
        booking_id=payment.booking_id,
        customer_id=payment.customer_id,
        method=payment.payment_method,
        amount=payment.amount,
        currency=payment.currency,
        external_reference=payment.external_reference,
        original_id=original.id if original else None,
        original_reference=original.external_reference if original else None,
    )


def _event_data(payment: Payment) -> dict[str, object]:
    data: dict[str, object] = {
        "payment_id": str(payment.id),
        "method": payment.payment_method,
        "amount": amount_text(payment.amount),
        "currency": payment.currency,
    }
    if payment.external_reference:
        data["external_reference"] = payment.external_reference
    return data


async def _perform(
    session: AsyncSession,
    booking: Booking,
    payment: Payment,
    move: rules.Move,
    actor: Actor,
    *,
    reason: str | None = None,
    new: bool = False,
) -> None:
    """Call the provider, then make the move final and write its timeline entries."""
    before = payment.status
    hook = move.hooks[before]
    if hook is not None:
        provider = providers.provider_for(payment.payment_method)
        reference = await _hook(provider, hook)(session, _call(payment))
        if reference:
            payment.external_reference = reference
    payment.status = move.target
    await session.flush()
    # Written after the provider answered: the audit chain's lock is held from here to
    # the commit, so it must not wait on a provider.
    if new:
        await _record(session, booking, "payment.recorded", _event_data(payment), actor)
    data = {**_event_data(payment), "from": before, "to": move.target}
    if reason:
        data["reason"] = reason
    await _record(session, booking, move.event, data, actor)
    if move.target == "captured":
        await _maybe_paid(session, booking, payment, actor)


async def _record(
    session: AsyncSession, booking: Booking, event: str, data: dict[str, object], actor: Actor
) -> None:
    await record_move(session, booking, event, data, actor_id=actor.user_id, meta=actor.meta)


async def _maybe_paid(
    session: AsyncSession, booking: Booking, payment: Payment, actor: Actor
) -> None:
    """``booking.paid``, once: the first time the net captured amount reaches the total.
    The booking's lock (held by every capture) makes "the first time" race-free."""
    if booking.total <= 0:
        return
    totals = await ledger.totals(session, booking.id)
    if totals.net < booking.total:
        return
    already = await session.scalar(
        select(
            exists().where(
                OrderEvent.order_id == booking.id, OrderEvent.event_type == "booking.paid"
            )
        )
    )
    if already:
        return
    paid: dict[str, object] = {
        "payment_id": str(payment.id),
        "total": amount_text(booking.total),
        "net": amount_text(totals.net),
        "currency": booking.currency,
    }
    await _record(session, booking, "booking.paid", paid, actor)
    payload = {
        "booking_id": booking.id,
        "customer_id": booking.customer_id,
        "payment_id": payment.id,
        "total": booking.total,
        "net": totals.net,
        "currency": booking.currency,
        "actor_id": actor.user_id,
    }
    await bus.publish(session, DomainEvent("booking.paid", payload))


async def refund_payment(
    session: AsyncSession,
    payment_id: uuid.UUID,
    data: RefundCreate,
    *,
    actor: Actor,
    idempotency_key: str | None,
) -> Payment:
    """A refund row against a captured payment; never more than what is left of it."""
    original = await _locked_payment(session, payment_id)
    rules.check_refundable(original.kind, original.status)
    amount = rules.check_amount(data.amount, data.currency or original.currency, original.currency)
    # Summed after the lock: a concurrent refund of this payment has committed by now.
    already = await session.scalar(
        select(func.sum(Payment.amount)).where(Payment.refund_of_id == original.id)
    )
    left = original.amount - (already or ZERO)
    if amount > left:
        raise rules.ExceedsCapturedError(
            f"At most {amount_text(left)} {original.currency} of this payment can be refunded.",
            refundable=amount_text(left),
        )
    booking = await session.get(Booking, original.booking_id)
    assert booking is not None  # a foreign key
    _check_room(await ledger.totals(session, booking.id))
    refund = Payment(
        booking_id=original.booking_id,
        customer_id=original.customer_id,
        amount=amount,
        currency=original.currency,
        payment_method=original.payment_method,
        status="refunded",
        kind="refund",
        refund_of_id=original.id,
        external_reference=data.external_reference,
        idempotency_key=idempotency_key,
    )
    session.add(refund)
    await session.flush()
    provider = providers.provider_for(original.payment_method)
    reference = await provider.refund(session, _call(refund, original))
    if reference:
        refund.external_reference = reference
        await session.flush()
    await _refunded(session, booking, original, refund, left - amount, actor, data.reason)
    return refund


async def _refunded(
    session: AsyncSession,
    booking: Booking,
    original: Payment,
    refund: Payment,
    still_refundable: Decimal,
    actor: Actor,
    reason: str | None,
) -> None:
    refunded_total = original.amount - still_refundable
    data = {**_event_data(refund), "payment_id": str(original.id), "refund_id": str(refund.id)}
    data |= {
        "refunded_total": amount_text(refunded_total),
        "refundable": amount_text(still_refundable),
    }
    if reason:
        data["reason"] = reason
    await _record(session, booking, "payment.refunded", data, actor)
    payload = {
        "booking_id": booking.id,
        "customer_id": refund.customer_id,
        "payment_id": original.id,
        "refund_id": refund.id,
        "method": refund.payment_method,
        "amount": refund.amount,
        "refunded_total": refunded_total,
        "currency": refund.currency,
        "actor_id": actor.user_id,
    }
    await bus.publish(session, DomainEvent("payment.refunded", payload))
