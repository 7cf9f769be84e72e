"""The ``points`` payment provider: paying a booking's balance with loyalty points.

The business layer's payments service owns the rules (no overpayment, refunds never
above the capture, idempotency); this provider only moves the points, in the payment's
own transaction, through the one ledger (:func:`ledger.move_points`):

- **Rate**: one point is one minor unit of the business currency (0.01 EUR, 1 JPY,
  0.001 BHD), so 12.50 EUR costs 1,250 points, exactly; the payments service has already
  refused an amount with more decimals than the currency has.
- **Capture** debits the points (reason ``payment``, linked to the booking, with the
  money in ``amount``/``currency``). Not enough points is 409 ``insufficient_points``
  and, since the hook runs before anything is final, leaves no payment row. A payment
  needs the booking's customer (a live profile) and the business currency; otherwise
  422 ``payment_refused``.
- **Refund** credits back the refunded amount's points (reason ``refund``, linked to the
  booking): the refunds of a payment never exceed it, so neither do their points.
- Points cannot be held (``authorize`` refuses), so ``void`` has nothing to release.

Lock order: the audit chain, then the customer's row (see ``ledger``). The service calls
the hook before it writes its audit rows, so the hook takes the chain itself first.

Money paid in points earns no points (see ``earning``): :func:`points_paid` is what
the earning rule leaves out.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.payments import providers
from frontdesk.business.payments.providers import ProviderCall
from frontdesk.business.settings import service as business_settings
from frontdesk.core import clock
from frontdesk.core.money import currency_exponent, format_amount
from frontdesk.rewards.loyalty.ledger import MAX_MOVE, move_points
from frontdesk.rewards.loyalty.models import LoyaltyTransaction
from frontdesk.security.audit import service as audit

METHOD = "points"
ZERO = Decimal(0)


def points_for_amount(amount: Decimal, currency: str) -> int:
    """The points ``amount`` of ``currency`` costs: its value in minor units. An amount
    with more decimals than the currency is a programming error here (the payments
    service refuses it first)."""
    minor = amount.scaleb(currency_exponent(currency))
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return int(minor)


def _reference(row: LoyaltyTransaction) -> str:
    return f"loyalty_transaction:{row.id}"


class PointsProvider:
    """Pays with the booking customer's points, moved in the payment's transaction."""

    name = "points"
    methods = frozenset({METHOD})
    supports_authorization = False  # points are spent or not: nothing to hold

    async def authorize(self, session: AsyncSession, call: ProviderCall) -> str | None:
        raise providers.AuthorizationUnsupportedError("A points payment cannot be held.")

    async def capture(self, session: AsyncSession, call: ProviderCall) -> str | None:
        customer_id = await _payer(session, call)
        points = points_for_amount(call.amount, call.currency)
        if points > MAX_MOVE:
            raise providers.PaymentRefusedError(
                f"At most {MAX_MOVE} points can be spent in one payment.", points=points
            )
        await audit.lock_chain(session)  # the chain before the customer's row
        row = await move_points(
            session,
            customer_id,
            points=-points,
            reason="payment",
            now=clock.now(),
            actor_id=None,  # the payment's own audit row names who took it
            booking_id=call.booking_id,
            amount=call.amount,
            currency=call.currency,
            note=f"Paid {format_amount(call.amount, call.currency)} {call.currency}",
        )
        return _reference(row)

    async def void(self, session: AsyncSession, call: ProviderCall) -> str | None:
        return None  # never held, so nothing to release

    async def refund(self, session: AsyncSession, call: ProviderCall) -> str | None:
        if call.customer_id is None:  # a points payment always had a customer
            raise providers.PaymentRefusedError("This payment has no customer to credit.")
        await audit.lock_chain(session)
        row = await move_points(
            session,
            call.customer_id,
            points=points_for_amount(call.amount, call.currency),
            reason="refund",
            now=clock.now(),
            actor_id=None,
            booking_id=call.booking_id,
            amount=call.amount,
            currency=call.currency,
            note=f"Refund of {format_amount(call.amount, call.currency)} {call.currency} "
            "paid in points",
        )
        return _reference(row)


async def _payer(session: AsyncSession, call: ProviderCall) -> uuid.UUID:
    """The customer who pays, refused (422) when points cannot pay this booking."""
    if call.customer_id is None:
        raise providers.PaymentRefusedError("Only a booking with a customer can be paid in points.")
    customer = await session.get(Customer, call.customer_id)
    if customer is None or customer.anonymized_at is not None:
        raise providers.PaymentRefusedError("This customer's points cannot be spent.")
    currency = (await business_settings.get(session)).currency
    if call.currency != currency:
        # A point is a minor unit of the business currency; anything else is a guess.
        raise providers.PaymentRefusedError(
            f"Points pay only in {currency}; this booking is in {call.currency}."
        )
    return customer.id


async def points_paid(session: AsyncSession, booking_id: uuid.UUID) -> Decimal:
    """The money of ``booking_id`` paid in points and not refunded, from the ledger (a
    booking carries at most 100 payments and refunds, so its rows are few)."""
    rows = await session.execute(
        select(LoyaltyTransaction.reason, LoyaltyTransaction.amount).where(
            LoyaltyTransaction.booking_id == booking_id,
            LoyaltyTransaction.reason.in_(("payment", "refund")),
        )
    )
    paid = ZERO
    for reason, amount in rows:
        paid += (amount or ZERO) if reason == "payment" else -(amount or ZERO)
    return paid


POINTS = PointsProvider()


def register() -> None:
    """Plug the provider into the business layer's payment providers (at start-up);
    registering again is harmless (the same instance)."""
    providers.register_provider(POINTS)
