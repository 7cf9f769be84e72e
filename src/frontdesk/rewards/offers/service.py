"""Offers: creating, changing and reading them, and their redemption statistics.

Every change is audited. Each writer takes the audit chain's lock before the offer's row
(the order :mod:`redemption` takes them in: booking, chain, copy, offer), so an edit and
a concurrent redemption of the same offer cannot deadlock.

Once an offer has been handed out its terms are fixed (409 ``offer_terms_fixed``): the
discount, the start of the window and the conditions are what customers were given,
maybe by email. The end of the window, the limits, the wording and ``is_active`` may
still change; a booking that used the offer keeps the discount recorded on it anyway.
An offer that was handed out is never deleted (409 ``offer_handed_out``): deactivate it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.orders.models import Booking
from frontdesk.business.scheduling.models import Service
from frontdesk.business.settings import service as business_settings
from frontdesk.core.errors import NotFoundError, ValidationFailedError
from frontdesk.core.money import fits_currency
from frontdesk.core.request_context import RequestMeta
from frontdesk.rewards.offers.errors import OfferHandedOutError, OfferTermsFixedError
from frontdesk.rewards.offers.models import CUSTOMER_OFFER_STATUSES, CustomerOffer, Offer
from frontdesk.rewards.offers.schemas import (
    DiscountGiven,
    OfferConditions,
    OfferCreate,
    OfferStats,
    OfferUpdate,
)
from frontdesk.security.audit import service as audit

TERMS = ("discount_percent", "valid_from", "conditions")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def check_conditions(session: AsyncSession, conditions: OfferConditions) -> None:
    """422 for conditions that could never hold: unknown services, or a minimum total
    finer than the business currency allows."""
    if conditions.service_ids:
        found = set(
            await session.scalars(select(Service.id).where(Service.id.in_(conditions.service_ids)))
        )
        missing = [str(each) for each in conditions.service_ids if each not in found]
        if missing:
            raise ValidationFailedError(
                "The conditions name services that do not exist.",
                path="body.conditions.service_ids",
                message=f"unknown service ids: {', '.join(missing)}",
            )
    if conditions.min_total is not None:
        currency = (await business_settings.get(session)).currency
        if not fits_currency(conditions.min_total, currency):
            raise ValidationFailedError(
                f"The minimum total has more decimals than {currency} allows.",
                path="body.conditions.min_total",
                message=f"not an amount of {currency}",
            )


async def create(
    session: AsyncSession, body: OfferCreate, *, actor_id: uuid.UUID, meta: RequestMeta
) -> Offer:
    await check_conditions(session, body.conditions)
    values = body.model_dump(exclude={"conditions"}) | {"conditions": body.conditions.stored()}
    offer = Offer(**values, uses_count=0)
    session.add(offer)
    await session.flush()
    await audit.record(
        session,
        action="offer.create",
        success=True,
        actor_id=actor_id,
        resource=f"offer:{offer.id}",
        details={name: _plain(value) for name, value in values.items()},
        meta=meta,
    )
    return offer


async def get(session: AsyncSession, offer_id: uuid.UUID, *, lock: bool = False) -> Offer:
    """The offer (404 if none); with ``lock``, its row locked as the counting UPDATE
    locks it (``FOR NO KEY UPDATE``: copies being inserted hold key-share locks on it)."""
    offer = await session.get(
        Offer,
        offer_id,
        with_for_update={"key_share": True} if lock else None,
        populate_existing=lock,
    )
    if offer is None:
        raise NotFoundError("No such offer.")
    return offer


async def handed_out(session: AsyncSession, offer_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(CustomerOffer.id).where(CustomerOffer.offer_id == offer_id).limit(1)
    )
    return found is not None


async def update(
    session: AsyncSession,
    offer_id: uuid.UUID,
    body: OfferUpdate,
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> Offer:
    changes = body.changes()
    if body.conditions is not None:
        await check_conditions(session, body.conditions)
        changes["conditions"] = body.conditions.stored()
    await audit.lock_chain(session)  # the chain, then the offer: one lock order
    offer = await get(session, offer_id, lock=True)
    before = {name: getattr(offer, name) for name in changes}
    changes = {name: value for name, value in changes.items() if before[name] != value}
    if any(name in TERMS for name in changes) and await handed_out(session, offer.id):
        raise OfferTermsFixedError(
            "The offer has been handed out: its discount, start and conditions are fixed.",
            fields=sorted(name for name in changes if name in TERMS),
        )
    _check_window(changes.get("valid_from", offer.valid_from), changes.get("valid_until"), offer)
    limit = changes.get("max_uses_total", offer.max_uses_total)
    if limit is not None and limit < offer.uses_count:
        raise ValidationFailedError(
            f"The offer has already been used {offer.uses_count} times.",
            path="body.max_uses_total",
            message=f"at least {offer.uses_count}",
        )
    for name, value in changes.items():
        setattr(offer, name, value)
    await session.flush()
    await audit.record(
        session,
        action="offer.update",
        success=True,
        actor_id=actor_id,
        resource=f"offer:{offer.id}",
        details=audit.changed_fields(
            {name: _plain(value) for name, value in before.items()},
            {name: _plain(value) for name, value in changes.items()},
        ),
        meta=meta,
    )
    return offer


def _check_window(valid_from: datetime, valid_until: datetime | None, offer: Offer) -> None:
    if valid_from >= (valid_until or offer.valid_until):
        raise ValidationFailedError(
            "The offer would end before it starts.",
            path="body.valid_until" if valid_until else "body.valid_from",
            message="valid_from must be earlier than valid_until",
        )


async def delete(
    session: AsyncSession, offer_id: uuid.UUID, *, actor_id: uuid.UUID, meta: RequestMeta
) -> None:
    """Delete an offer nobody has been given; one handed out stays, deactivated."""
    await audit.lock_chain(session)
    offer = await get(session, offer_id, lock=True)
    if await handed_out(session, offer.id):
        raise OfferHandedOutError(
            "Customers hold copies of this offer: set is_active to false instead."
        )
    await session.delete(offer)
    await session.flush()
    await audit.record(
        session,
        action="offer.delete",
        success=True,
        actor_id=actor_id,
        resource=f"offer:{offer_id}",
        details={"name": offer.name},
        meta=meta,
    )


def listing(*, active: bool | None) -> Select[Any]:
    query = select(Offer)
    if active is not None:
        query = query.where(Offer.is_active.is_(active))
    return query


def copies(offer_id: uuid.UUID, *, status: str | None) -> Select[Any]:
    query = select(CustomerOffer).where(CustomerOffer.offer_id == offer_id)
    if status is not None:
        query = query.where(CustomerOffer.status == status)
    return query


def usable_copies(customer_id: uuid.UUID, now: datetime) -> Select[Any]:
    """A customer's copies that can be applied now: available, of an active offer,
    inside its window (the server's clock)."""
    return (
        select(CustomerOffer)
        .join(Offer, Offer.id == CustomerOffer.offer_id)
        .where(
            CustomerOffer.customer_id == customer_id,
            CustomerOffer.status == "available",
            Offer.is_active.is_(True),
            Offer.valid_from <= now,
            Offer.valid_until > now,
        )
    )


async def offers_of(session: AsyncSession, copies: list[CustomerOffer]) -> dict[uuid.UUID, Offer]:
    """The offers of ``copies``, by id, in one query."""
    ids = {copy.offer_id for copy in copies}
    if not ids:
        return {}
    return {
        offer.id: offer for offer in await session.scalars(select(Offer).where(Offer.id.in_(ids)))
    }


async def stats(session: AsyncSession, offer_id: uuid.UUID) -> OfferStats:
    offer = await get(session, offer_id)
    counted = await session.execute(
        select(CustomerOffer.status, func.count())
        .where(CustomerOffer.offer_id == offer_id)
        .group_by(CustomerOffer.status)
    )
    by_status = dict.fromkeys(CUSTOMER_OFFER_STATUSES, 0) | {
        status: int(count) for status, count in counted.all()
    }
    of_this_offer = select(CustomerOffer.id).where(CustomerOffer.offer_id == offer_id)
    given = await session.execute(
        select(Booking.currency, func.sum(Booking.discount), func.count())
        .where(Booking.customer_offer_id.in_(of_this_offer), Booking.status != "cancelled")
        .group_by(Booking.currency)
        .order_by(Booking.currency)
    )
    return OfferStats(
        offer_id=offer.id,
        uses_count=offer.uses_count,
        max_uses_total=offer.max_uses_total,
        handed_out=sum(by_status.values()),
        by_status=by_status,
        discount_given=[
            DiscountGiven(currency=currency, amount=amount, bookings=count)
            for currency, amount, count in given.all()
        ],
    )
