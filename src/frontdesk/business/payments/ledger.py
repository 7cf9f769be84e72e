"""The read side of payments: exact totals of a booking and the API's views of rows.

Everything is summed from the rows themselves (payments by status, refunds by kind):
nothing is cached on the booking or on a payment, so the figures cannot drift from the
rows that justify them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.orders.models import Booking
from frontdesk.business.payments import rules
from frontdesk.business.payments.models import PaymentTransaction as Payment
from frontdesk.business.payments.schemas import BookingPayments, PaymentRead, PaymentSummary

ZERO = Decimal(0)


@dataclass(frozen=True)
class Totals:
    paid: Decimal = ZERO  # captured payments
    refunded: Decimal = ZERO
    authorized: Decimal = ZERO
    held: Decimal = ZERO  # pending or authorized: reserved against the balance
    count: int = 0

    @property
    def net(self) -> Decimal:
        return self.paid - self.refunded


def tally(rows: Iterable[tuple[str, str, Decimal, int]]) -> Totals:
    """Totals of (kind, status, amount, count) rows; exact Decimal sums."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    count = 0
    for kind, status, amount, n in rows:
        count += n
        sums["refunded" if kind == "refund" else status] += amount
    return Totals(
        paid=sums["captured"],
        refunded=sums["refunded"],
        authorized=sums["authorized"],
        held=sums["authorized"] + sums["pending"],
        count=count,
    )


async def totals(session: AsyncSession, booking_id: uuid.UUID) -> Totals:
    await session.flush()
    rows = await session.execute(
        select(Payment.kind, Payment.status, func.sum(Payment.amount), func.count())
        .where(Payment.booking_id == booking_id)
        .group_by(Payment.kind, Payment.status)
    )
    return tally((kind, status, amount, n) for kind, status, amount, n in rows)


def summary_of(booking: Booking, totals: Totals) -> PaymentSummary:
    return PaymentSummary(
        booking_id=booking.id,
        currency=booking.currency,
        total=booking.total,
        paid=totals.paid,
        refunded=totals.refunded,
        net=totals.net,
        balance_due=booking.total - totals.net,
        authorized=totals.authorized,
    )


def read(payment: Payment, refunded: Decimal | None = None) -> PaymentRead:
    """The API's view of a row; ``refunded`` (payments only) is the sum of its refunds."""
    is_payment = payment.kind == "payment"
    refunded = (refunded or ZERO) if is_payment else None
    refundable = None
    if refunded is not None:
        refundable = payment.amount - refunded if payment.status == "captured" else ZERO
    return PaymentRead(
        id=payment.id,
        booking_id=payment.booking_id,
        customer_id=payment.customer_id,
        kind=payment.kind,
        status=payment.status,
        method=payment.payment_method,
        amount=payment.amount,
        currency=payment.currency,
        refund_of_id=payment.refund_of_id,
        external_reference=payment.external_reference,
        created_at=payment.created_at,
        updated_at=payment.updated_at,
        refunded=refunded,
        refundable=refundable,
    )


async def booking_payments(session: AsyncSession, booking: Booking) -> BookingPayments:
    rows = list(
        await session.scalars(
            select(Payment)
            .where(Payment.booking_id == booking.id)
            .order_by(Payment.created_at, Payment.id)
            .limit(rules.MAX_TRANSACTIONS_PER_BOOKING)
        )
    )
    refunded: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.refund_of_id is not None:
            refunded[row.refund_of_id] += row.amount
    totals = tally((row.kind, row.status, row.amount, 1) for row in rows)
    return BookingPayments(
        summary=summary_of(booking, totals),
        transactions=[read(row, refunded.get(row.id)) for row in rows],
    )
