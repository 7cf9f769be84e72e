"""`/api/v1/offers` and a customer's own offers.

- Offers (``offers:read`` to read, ``offers:manage`` to write): create, list, read,
  change, delete (only if never handed out), statistics.
- Hand-outs (``offers:manage``): to named customers, or to an audience rule.
- ``POST /offers/customer-offers/{id}/apply`` (``bookings:update``): the desk applies a
  customer's copy to their open booking.
- ``/me/customers/{id}/offers`` (signed in, own live profiles only; any other id is a
  404): the offers a customer can use now, and applying one to their own booking.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.ownership import get_owned_live_customer
from frontdesk.business.orders.lines import Actor
from frontdesk.business.orders.permissions import BOOKINGS_UPDATE
from frontdesk.core import clock
from frontdesk.core.deps import DbSession
from frontdesk.core.outbox import OutboxDispatcher
from frontdesk.core.pagination import Cursor, Limit, Page, page_of, paginate
from frontdesk.core.request_context import Meta, RequestMeta
from frontdesk.rewards.offers import handout, redemption, service
from frontdesk.rewards.offers.models import CustomerOffer, Offer
from frontdesk.rewards.offers.permissions import OFFERS_MANAGE, OFFERS_READ
from frontdesk.rewards.offers.schemas import (
    AppliedOfferRead,
    ApplyOffer,
    CustomerOfferRead,
    HandOutRead,
    HandOutToAudience,
    HandOutToCustomers,
    OfferCreate,
    OfferRead,
    OfferStats,
    OfferTerms,
    OfferUpdate,
    OwnConditions,
    OwnOfferRead,
)
from frontdesk.security.auth.deps import CurrentPrincipal, Principal
from frontdesk.security.rbac.deps import require

router = APIRouter(prefix="/offers", tags=["offers"])
me_router = APIRouter(prefix="/me", tags=["me: offers"])

Manager = Annotated[Principal, require(OFFERS_MANAGE)]
Desk = Annotated[Principal, require(BOOKINGS_UPDATE)]
ReadOffers = [require(OFFERS_READ)]
CopyStatus = Literal["available", "used", "expired", "revoked"]


def _outbox(request: Request) -> OutboxDispatcher | None:
    dispatcher: OutboxDispatcher | None = getattr(request.app.state, "outbox", None)
    return dispatcher


@router.get("", dependencies=ReadOffers, summary="Offers, newest first")
async def list_offers(
    session: DbSession,
    active: Annotated[bool | None, Query(description="Only active (or inactive) ones")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[OfferRead]:
    query = paginate(service.listing(active=active), Offer.id, cursor, limit)
    items, next_cursor = page_of((await session.scalars(query)).all(), limit, lambda r: r.id)
    return Page[OfferRead](
        items=[OfferRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an offer")
async def create_offer(
    body: OfferCreate, session: DbSession, meta: Meta, manager: Manager
) -> OfferRead:
    offer = await service.create(session, body, actor_id=manager.user_id, meta=meta)
    return OfferRead.model_validate(offer)


@router.get("/{offer_id}", dependencies=ReadOffers, summary="One offer")
async def get_offer(offer_id: uuid.UUID, session: DbSession) -> OfferRead:
    return OfferRead.model_validate(await service.get(session, offer_id))


@router.patch("/{offer_id}", summary="Change an offer (its terms only until handed out)")
async def update_offer(
    offer_id: uuid.UUID, body: OfferUpdate, session: DbSession, meta: Meta, manager: Manager
) -> OfferRead:
    offer = await service.update(session, offer_id, body, actor_id=manager.user_id, meta=meta)
    return OfferRead.model_validate(offer)


@router.delete(
    "/{offer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an offer nobody was given",
)
async def delete_offer(
    offer_id: uuid.UUID, session: DbSession, meta: Meta, manager: Manager
) -> None:
    await service.delete(session, offer_id, actor_id=manager.user_id, meta=meta)


@router.get("/{offer_id}/stats", dependencies=ReadOffers, summary="Redemption statistics")
async def offer_stats(offer_id: uuid.UUID, session: DbSession) -> OfferStats:
    return await service.stats(session, offer_id)


@router.get("/{offer_id}/customers", dependencies=ReadOffers, summary="The copies handed out")
async def list_copies(
    offer_id: uuid.UUID,
    session: DbSession,
    status_filter: Annotated[CopyStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CustomerOfferRead]:
    await service.get(session, offer_id)
    listing = service.copies(offer_id, status=status_filter)
    query = paginate(listing, CustomerOffer.id, cursor, limit)
    items, next_cursor = page_of((await session.scalars(query)).all(), limit, lambda r: r.id)
    return Page[CustomerOfferRead](
        items=[CustomerOfferRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.post("/{offer_id}/customers", summary="Hand the offer to these customers")
async def hand_out_to_customers(
    offer_id: uuid.UUID,
    body: HandOutToCustomers,
    request: Request,
    session: DbSession,
    meta: Meta,
    manager: Manager,
) -> HandOutRead:
    result = await handout.to_customers(
        session,
        offer_id,
        body.customer_ids,
        notify=body.notify,
        now=clock.now(),
        actor_id=manager.user_id,
        meta=meta,
        dispatcher=_outbox(request),
    )
    return HandOutRead.model_validate(result)


@router.post("/{offer_id}/audience", summary="Hand the offer to everyone a rule matches")
async def hand_out_to_audience(
    offer_id: uuid.UUID,
    body: HandOutToAudience,
    request: Request,
    session: DbSession,
    meta: Meta,
    manager: Manager,
) -> HandOutRead:
    result = await handout.to_audience(
        session,
        offer_id,
        body.rule,
        notify=body.notify,
        now=clock.now(),
        actor_id=manager.user_id,
        meta=meta,
        dispatcher=_outbox(request),
    )
    return HandOutRead.model_validate(result)


async def _apply(
    session: AsyncSession,
    copy_id: uuid.UUID,
    body: ApplyOffer,
    *,
    principal: Principal,
    meta: RequestMeta,
    owner_id: uuid.UUID | None = None,
) -> AppliedOfferRead:
    actor = Actor(principal.user_id, clock.now(), meta)  # the server's clock decides
    applied = await redemption.apply_offer(
        session, copy_id, body.booking_id, actor=actor, owner_id=owner_id
    )
    booking = applied.booking
    return AppliedOfferRead(
        customer_offer=CustomerOfferRead.model_validate(applied.copy),
        booking_id=booking.id,
        discount=booking.discount,
        subtotal=booking.subtotal,
        total=booking.total,
        currency=booking.currency,
    )


@router.post(
    "/customer-offers/{customer_offer_id}/apply",
    summary="Apply a customer's offer to their open booking",
)
async def apply_offer(
    customer_offer_id: uuid.UUID, body: ApplyOffer, session: DbSession, meta: Meta, desk: Desk
) -> AppliedOfferRead:
    return await _apply(session, customer_offer_id, body, principal=desk, meta=meta)


@me_router.get(
    "/customers/{customer_id}/offers",
    summary="Offers one of my profiles can use now, newest first",
)
async def own_offers(
    customer_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[OwnOfferRead]:
    customer = await get_owned_live_customer(session, principal, customer_id)
    listing = service.usable_copies(customer.id, clock.now())
    query = paginate(listing, CustomerOffer.id, cursor, limit)
    items, next_cursor = page_of((await session.scalars(query)).all(), limit, lambda r: r.id)
    offers = await service.offers_of(session, items)
    return Page[OwnOfferRead](
        items=[_own(copy, offers[copy.offer_id]) for copy in items], next_cursor=next_cursor
    )


def _own(copy: CustomerOffer, offer: Offer) -> OwnOfferRead:
    conditions = offer.conditions or {}
    return OwnOfferRead(
        id=copy.id,
        status=copy.status,
        created_at=copy.created_at,
        offer=OfferTerms(
            offer_id=offer.id,
            name=offer.name,
            description=offer.description,
            discount_percent=offer.discount_percent,
            valid_from=offer.valid_from,
            valid_until=offer.valid_until,
            # Customer tags are staff labels: not shown, like a profile's own tags.
            conditions=OwnConditions(
                service_ids=conditions.get("service_ids"), min_total=conditions.get("min_total")
            ),
        ),
    )


@me_router.post(
    "/customers/{customer_id}/offers/{customer_offer_id}/apply",
    summary="Apply one of my offers to my open booking",
)
async def apply_own_offer(
    customer_id: uuid.UUID,
    customer_offer_id: uuid.UUID,
    body: ApplyOffer,
    principal: CurrentPrincipal,
    session: DbSession,
    meta: Meta,
) -> AppliedOfferRead:
    customer = await get_owned_live_customer(session, principal, customer_id)
    return await _apply(
        session, customer_offer_id, body, principal=principal, meta=meta, owner_id=customer.id
    )
