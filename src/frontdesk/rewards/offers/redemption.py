"""Applying a customer's copy of an offer to a booking, and giving it back.

**Applying** checks, in this order, each with its own problem: the copy belongs to the
booking's customer (409 ``offer_customer_mismatch``), is ``available`` (409
``offer_unavailable``), its offer is active (409 ``offer_inactive``) and inside its
window by the server's clock, never the caller's (409 ``offer_not_started`` /
``offer_expired``), the booking meets the conditions (409 ``offer_conditions_not_met``),
the customer has not used the offer ``max_uses_per_customer`` times (409
``offer_customer_limit``), and a use is left (409 ``offer_exhausted``). Then the
business layer puts the discount on the booking (one discount per booking, before any
money moves: its own 409s) and the copy becomes ``used``.

**The limits hold under concurrency.** The total is counted by one conditional
statement, ``UPDATE offers SET uses_count = uses_count + 1 WHERE id = :id AND
(max_uses_total IS NULL OR uses_count < max_uses_total)``: no row back means no use left;
on PostgreSQL a concurrent use waits for the row and re-checks against the committed
count; the CHECK ``uses_count <= max_uses_total`` is the backstop. The per-customer limit
rests on the copy: a customer holds at most one ``available`` copy of an offer (a
partial unique index), applying locks it, and a copy is counted ``used`` in the same
transaction, so two uses by one customer are always two transactions one after the
other, the second of which counts the first.

**Lock order**: the booking, the audit chain, the copy, the offer. The lifecycle's
cancellation and the business layer's discount removal hold the booking and the chain
when they call :func:`release`, so every path takes them in this order.

**Giving back** (:func:`release`, on ``booking.cancelled`` and
``booking.discount_removed``): the use is uncounted and the copy goes back to
``available``, unless the offer has ended (``expired``) or the customer has been given
another copy meanwhile (``revoked``: one available copy each).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.orders import discounts, lifecycle
from frontdesk.business.orders.lines import Actor
from frontdesk.business.orders.models import Booking, BookingItem
from frontdesk.business.orders.pricing import DiscountRule
from frontdesk.business.settings import service as business_settings
from frontdesk.core.errors import NotFoundError
from frontdesk.core.money import format_amount
from frontdesk.rewards.offers.errors import (
    OfferConditionsNotMetError,
    OfferCustomerLimitError,
    OfferCustomerMismatchError,
    OfferExhaustedError,
    OfferExpiredError,
    OfferInactiveError,
    OfferNotStartedError,
    OfferUnavailableError,
)
from frontdesk.rewards.offers.models import CustomerOffer, Offer
from frontdesk.rewards.offers.schemas import OfferConditions
from frontdesk.security.audit import service as audit

SOURCE = "offer"  # the booking's discount_source for an offer


@dataclass(frozen=True)
class Applied:
    copy: CustomerOffer
    booking: Booking


async def locked_copy(session: AsyncSession, copy_id: uuid.UUID) -> CustomerOffer | None:
    found: CustomerOffer | None = await session.scalar(
        select(CustomerOffer)
        .where(CustomerOffer.id == copy_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return found


async def apply_offer(
    session: AsyncSession,
    copy_id: uuid.UUID,
    booking_id: uuid.UUID,
    *,
    actor: Actor,
    owner_id: uuid.UUID | None = None,
) -> Applied:
    """Apply the copy ``copy_id`` to the open booking ``booking_id``, at ``actor.now``
    (the server's clock). ``owner_id``: a customer applying for themselves; a copy or a
    booking of anyone else is then a 404, as if it did not exist."""
    booking = await lifecycle.locked_booking(session, booking_id)
    if owner_id is not None and booking.customer_id != owner_id:
        raise NotFoundError("No such booking.")
    await audit.lock_chain(session)
    copy = await locked_copy(session, copy_id)
    if copy is None or (owner_id is not None and copy.customer_id != owner_id):
        raise NotFoundError("No such offer.")
    if copy.customer_id != booking.customer_id:
        raise OfferCustomerMismatchError("This offer was handed to another customer.")
    if copy.status != "available":
        raise OfferUnavailableError(f"This offer is {copy.status}.", status=copy.status)
    offer = await session.get_one(Offer, copy.offer_id, populate_existing=True)
    check_window(offer, actor.now)
    rule = await _rule_if_met(session, offer, booking, copy.customer_id)
    await _check_customer_limit(session, offer, copy.customer_id)
    await _count_use(session, offer, actor.now)
    discount = await discounts.apply_discount(
        session,
        booking,
        rule,
        source=SOURCE,
        reference_id=copy.id,
        actor=actor,
        customer_offer_id=copy.id,
    )
    copy.status, copy.used_at, copy.booking_id = "used", actor.now, booking.id
    await session.flush()
    await audit.record(
        session,
        action="offer.redeem",
        success=True,
        actor_id=actor.user_id,
        resource=f"customer_offer:{copy.id}",
        details={
            "offer_id": str(offer.id),
            "booking_id": str(booking.id),
            "discount": format_amount(discount, booking.currency),
            "currency": booking.currency,
        },
        meta=actor.meta,
    )
    return Applied(copy, booking)


def check_window(offer: Offer, now: datetime) -> None:
    if not offer.is_active:
        raise OfferInactiveError("This offer has been withdrawn.")
    if now < offer.valid_from:
        raise OfferNotStartedError(
            "This offer has not started yet.", valid_from=offer.valid_from.isoformat()
        )
    if now >= offer.valid_until:
        raise OfferExpiredError("This offer has ended.", valid_until=offer.valid_until.isoformat())


async def _rule_if_met(
    session: AsyncSession, offer: Offer, booking: Booking, customer_id: uuid.UUID
) -> DiscountRule:
    """The discount the offer gives on ``booking``, or 409 naming the unmet conditions.
    With ``service_ids`` the discount is on those services' lines only."""
    try:
        conditions = OfferConditions.model_validate(offer.conditions or {})
    except ValidationError:
        # Written around the API: refuse rather than guess what it meant.
        raise OfferConditionsNotMetError("The offer's conditions cannot be read.") from None
    unmet = await unmet_conditions(session, conditions, booking, customer_id)
    if unmet:
        raise OfferConditionsNotMetError(
            f"The booking does not meet the offer's conditions: {', '.join(unmet)}.", unmet=unmet
        )
    return DiscountRule(
        kind="percent",
        value=offer.discount_percent,
        service_ids=frozenset(conditions.service_ids or ()),
        min_subtotal=conditions.min_total,
    )


async def unmet_conditions(
    session: AsyncSession, conditions: OfferConditions, booking: Booking, customer_id: uuid.UUID
) -> list[str]:
    unmet: list[str] = []
    if conditions.service_ids:
        held = await session.scalar(
            select(func.count())
            .select_from(BookingItem)
            .where(
                BookingItem.booking_id == booking.id,
                BookingItem.service_id.in_(conditions.service_ids),
            )
        )
        if not held:
            unmet.append("service_ids")
    if conditions.min_total is not None:
        currency = (await business_settings.get(session)).currency
        # The minimum is in the business currency; a booking in another one cannot meet it.
        if booking.currency != currency or booking.subtotal < conditions.min_total:
            unmet.append("min_total")
    if conditions.customer_tags:
        tags = await session.scalar(select(Customer.tags).where(Customer.id == customer_id))
        if set(tags or ()).isdisjoint(conditions.customer_tags):
            unmet.append("customer_tags")
    return unmet


async def used_by(session: AsyncSession, offer_id: uuid.UUID, customer_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(CustomerOffer)
        .where(
            CustomerOffer.offer_id == offer_id,
            CustomerOffer.customer_id == customer_id,
            CustomerOffer.status == "used",
        )
    )
    return int(count or 0)


async def _check_customer_limit(
    session: AsyncSession, offer: Offer, customer_id: uuid.UUID
) -> None:
    limit = offer.max_uses_per_customer
    if limit is not None and await used_by(session, offer.id, customer_id) >= limit:
        raise OfferCustomerLimitError(
            f"This customer has used this offer {limit} times already.", limit=limit
        )


async def _count_use(session: AsyncSession, offer: Offer, now: datetime) -> None:
    """One use more, if one is left: the limit is checked by the same statement."""
    room = (Offer.max_uses_total.is_(None)) | (Offer.uses_count < Offer.max_uses_total)
    counted = await session.execute(
        update(Offer)
        .where(Offer.id == offer.id, room)
        .values(uses_count=Offer.uses_count + 1, updated_at=now)
        .returning(Offer.uses_count)
        .execution_options(synchronize_session="fetch")
    )
    if counted.scalar_one_or_none() is None:
        raise OfferExhaustedError(
            "This offer has been used as often as it may be.", limit=offer.max_uses_total
        )


async def release(
    session: AsyncSession,
    copy_id: uuid.UUID,
    booking_id: uuid.UUID,
    *,
    now: datetime,
    actor_id: uuid.UUID | None,
    reason: str,
) -> str | None:
    """Give back the copy used on ``booking_id``; its new status, or None when there was
    nothing to give back (already given back: an event delivered twice changes nothing)."""
    await audit.lock_chain(session)  # held already when a booking change calls this
    copy = await locked_copy(session, copy_id)
    if copy is None or copy.status != "used" or copy.booking_id != booking_id:
        return None
    await session.execute(
        update(Offer)
        .where(Offer.id == copy.offer_id, Offer.uses_count > 0)
        .values(uses_count=Offer.uses_count - 1, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    offer = await session.get_one(Offer, copy.offer_id, populate_existing=True)
    copy.status = await _status_after_release(session, offer, copy, now)
    copy.used_at = copy.booking_id = None
    await session.flush()
    await audit.record(
        session,
        action="offer.release",
        success=True,
        actor_id=actor_id,
        resource=f"customer_offer:{copy.id}",
        details={
            "offer_id": str(offer.id),
            "booking_id": str(booking_id),
            "status": copy.status,
            "reason": reason,
        },
    )
    return copy.status


async def _status_after_release(
    session: AsyncSession, offer: Offer, copy: CustomerOffer, now: datetime
) -> str:
    if now >= offer.valid_until:
        return "expired"
    # Under the offer's row lock (taken by the UPDATE above, and by every hand-out), so
    # no other copy can become available between this look and the write.
    other = await session.scalar(
        select(CustomerOffer.id).where(
            CustomerOffer.offer_id == offer.id,
            CustomerOffer.customer_id == copy.customer_id,
            CustomerOffer.status == "available",
            CustomerOffer.id != copy.id,
        )
    )
    return "revoked" if other is not None else "available"
