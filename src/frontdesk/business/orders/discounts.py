"""The one discount a booking carries: applied by whoever grants it, removed on request.

The business layer knows what a discount does (``pricing.DiscountRule``), not why it
was granted: the rewards layer applies a voucher or an offer through
:func:`apply_discount`, naming itself as the ``source`` and the granting row as the
reference, and learns of a removal from the ``booking.discount_removed`` event, so this
layer never imports it.

Rules:

- **One per booking**: an offer or a voucher, never both and never two (409
  ``discount_already_applied``). Stacking would make every combination a pricing
  question; one discount keeps the receipt obvious.
- **Before any money moves**: once a payment is captured, held or pending on the
  booking its discount is fixed (409 ``booking_has_payments``), so a payment is always
  measured against the total the customer was shown.
- **Open bookings only** (409 ``booking_closed``), and only a discount that takes
  something off (409 ``discount_not_applicable``: nothing in its scope).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.orders.lines import Actor, ensure_open, recompute_totals
from frontdesk.business.orders.models import Booking
from frontdesk.business.orders.pricing import DiscountRule
from frontdesk.business.orders.timeline import amount, record_move
from frontdesk.business.payments import ledger
from frontdesk.core.errors import ConflictError, register_code
from frontdesk.core.events import DomainEvent, bus

ALREADY_APPLIED = register_code(
    "discount_already_applied", 409, "The booking already carries a discount"
)
NOT_APPLICABLE = register_code(
    "discount_not_applicable", 409, "The discount takes nothing off this booking"
)
HAS_PAYMENTS = register_code(
    "booking_has_payments", 409, "Money has moved on this booking: its discount is fixed"
)
NO_DISCOUNT = register_code("no_discount", 409, "The booking carries no discount")
MAX_SOURCE_LENGTH = 16
DISCOUNT_REMOVED = "booking.discount_removed"


class DiscountAlreadyAppliedError(ConflictError):
    error = ALREADY_APPLIED


class DiscountNotApplicableError(ConflictError):
    error = NOT_APPLICABLE


class BookingHasPaymentsError(ConflictError):
    error = HAS_PAYMENTS


class NoDiscountError(ConflictError):
    error = NO_DISCOUNT


async def apply_discount(
    session: AsyncSession,
    booking: Booking,
    rule: DiscountRule,
    *,
    source: str,
    reference_id: uuid.UUID,
    actor: Actor,
    customer_offer_id: uuid.UUID | None = None,
) -> Decimal:
    """Put ``rule`` on the (locked) booking and return what it takes off. The timeline
    records ``<source>.applied`` (``offer.applied``, ``voucher.applied``)."""
    if not source or len(source) > MAX_SOURCE_LENGTH:
        raise ValueError(f"a discount source is 1 to {MAX_SOURCE_LENGTH} characters")
    ensure_open(booking)
    if booking.discount_source is not None:
        raise DiscountAlreadyAppliedError(
            f"The booking already carries a discount ({booking.discount_source}); "
            "one offer or one voucher per booking.",
            source=booking.discount_source,
        )
    await _ensure_no_money_moved(session, booking)
    booking.discount_source = source
    booking.discount_reference_id = reference_id
    booking.discount_rule = rule.as_json()
    booking.customer_offer_id = customer_offer_id
    await recompute_totals(session, booking)
    if booking.discount <= 0:
        raise DiscountNotApplicableError("Nothing on this booking is eligible for that discount.")
    await record_move(
        session,
        booking,
        f"{source}.applied",
        _discount_data(booking),
        actor_id=actor.user_id,
        meta=actor.meta,
    )
    return booking.discount


async def remove_discount(
    session: AsyncSession, booking: Booking, *, actor: Actor, reason: str | None = None
) -> None:
    """Take the discount off the (locked) booking; the granting layer hears of it through
    ``booking.discount_removed`` and gives its voucher or offer back."""
    ensure_open(booking)
    if booking.discount_source is None or booking.discount_reference_id is None:
        raise NoDiscountError("The booking carries no discount.")
    await _ensure_no_money_moved(session, booking)
    source, reference_id = booking.discount_source, booking.discount_reference_id
    data = _discount_data(booking)
    booking.discount_source = None
    booking.discount_reference_id = None
    booking.discount_rule = None
    booking.customer_offer_id = None
    booking.discount = Decimal(0)
    await recompute_totals(session, booking)
    data |= {"total": amount(booking.total)}
    if reason:
        data["reason"] = reason
    await record_move(
        session, booking, f"{source}.removed", data, actor_id=actor.user_id, meta=actor.meta
    )
    payload = {
        "booking_id": booking.id,
        "customer_id": booking.customer_id,
        "source": source,
        "reference_id": reference_id,
        "actor_id": actor.user_id,
    }
    await bus.publish(session, DomainEvent(DISCOUNT_REMOVED, payload))


async def _ensure_no_money_moved(session: AsyncSession, booking: Booking) -> None:
    money = await ledger.totals(session, booking.id)
    if money.net > 0 or money.held > 0:
        raise BookingHasPaymentsError(
            "Payments have been taken on this booking; its discount can no longer change."
        )


def _discount_data(booking: Booking) -> dict[str, object]:
    return {
        "source": booking.discount_source,
        "reference_id": str(booking.discount_reference_id),
        "rule": booking.discount_rule,
        "discount": amount(booking.discount),
        "subtotal": amount(booking.subtotal),
        "total": amount(booking.total),
        "currency": booking.currency,
    }
