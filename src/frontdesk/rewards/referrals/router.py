"""Referrals.

- ``GET /referrals?referrer_id=&referred_id=&status=`` (``referrals:read``): newest first,
  cursor-paginated.
- ``POST /referrals`` (``customers:update``, a change to a customer the desk makes):
  attach a referrer's code to an existing customer who has no referral and no paid
  booking yet; audited.
- ``GET /me/customers/{id}/referral`` (signed in): one of the caller's own live profiles:
  its code, its own referral and the referrals it made; any other id answers 404, like
  one that does not exist (SECURITY.md 14).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, status

from frontdesk.business.customers.ownership import get_owned_live_customer
from frontdesk.business.customers.permissions import CUSTOMERS_UPDATE
from frontdesk.core.deps import DbSession
from frontdesk.core.pagination import Cursor, Limit, Page, page_of, paginate
from frontdesk.core.request_context import Meta
from frontdesk.rewards.referrals import service
from frontdesk.rewards.referrals.models import Referral
from frontdesk.rewards.referrals.permissions import REFERRALS_READ
from frontdesk.rewards.referrals.schemas import (
    OwnReferralSummary,
    ReferralCreate,
    ReferralRead,
    ReferralStatus,
)
from frontdesk.security.auth.deps import CurrentPrincipal, Principal
from frontdesk.security.rbac.deps import require

router = APIRouter(prefix="/referrals", tags=["referrals"])
me_router = APIRouter(prefix="/me", tags=["me: referrals"])


@router.get("", dependencies=[require(REFERRALS_READ)], summary="Referrals, newest first")
async def list_referrals(
    session: DbSession,
    referrer_id: uuid.UUID | None = None,
    referred_id: uuid.UUID | None = None,
    status: ReferralStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ReferralRead]:
    query = service.listing(referrer_id=referrer_id, referred_id=referred_id, status=status)
    rows = (await session.scalars(paginate(query, Referral.id, cursor, limit))).all()
    items, next_cursor = page_of(rows, limit, lambda row: row.id)
    return Page[ReferralRead](
        items=[ReferralRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Attach a referrer's code to a customer who has not paid for a booking yet",
)
async def attach_referral(
    body: ReferralCreate,
    session: DbSession,
    meta: Meta,
    staff: Annotated[Principal, require(CUSTOMERS_UPDATE)],
) -> ReferralRead:
    referral = await service.attach(session, body, actor_id=staff.user_id, meta=meta)
    return ReferralRead.model_validate(referral)


@me_router.get(
    "/customers/{customer_id}/referral",
    summary="My profile's referral code and the referrals it made",
)
async def own_referral(
    customer_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> OwnReferralSummary:
    customer = await get_owned_live_customer(session, principal, customer_id)
    return await service.own_summary(session, customer, limit=limit, cursor=cursor)
