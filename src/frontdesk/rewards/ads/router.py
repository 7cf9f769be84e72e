"""Advertisements.

- ``/admin/ads`` (``ads:manage``): create, list, read, change, delete, and each ad's
  figures by UTC day (``/admin/ads/{id}/stats?from=&to=``).
- ``/me/ads`` (signed in; own profiles only): the ads shown to one of my profiles now,
  and recording that one was seen (``/view``) or clicked (``/click``). Another account's
  profile, or an ad that is not for this profile, answers 404 like one that does not
  exist (SECURITY.md 14).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from frontdesk.core import clock
from frontdesk.core.deps import DbSession
from frontdesk.core.pagination import Cursor, Limit, Page, page_of, paginate
from frontdesk.core.request_context import Meta
from frontdesk.rewards.ads import service, showing, stats, targeting
from frontdesk.rewards.ads.models import Advertisement
from frontdesk.rewards.ads.permissions import ADS_MANAGE
from frontdesk.rewards.ads.schemas import (
    AdCreate,
    AdRead,
    AdStats,
    AdUpdate,
    ImpressionCreate,
    ImpressionRead,
    OwnAds,
)
from frontdesk.security.auth.deps import CurrentPrincipal, Principal
from frontdesk.security.rbac.deps import require

router = APIRouter(prefix="/admin/ads", tags=["admin: advertisements"])
me_router = APIRouter(prefix="/me/ads", tags=["me: advertisements"])

Manager = Annotated[Principal, require(ADS_MANAGE)]
Managing = [require(ADS_MANAGE)]
MAX_SHOWN = 50

FromDay = Annotated[
    date | None, Query(alias="from", description="First UTC day (default: 29 days before to)")
]
ToDay = Annotated[
    date | None, Query(alias="to", description="Last UTC day, included (default: today)")
]
ProfileId = Annotated[uuid.UUID | None, Query(description="One of my profiles; default: my oldest")]
Shown = Annotated[int, Query(ge=1, le=MAX_SHOWN, description="At most this many ads")]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an ad")
async def create_ad(body: AdCreate, session: DbSession, meta: Meta, manager: Manager) -> AdRead:
    ad = await service.create(session, body, actor_id=manager.user_id, meta=meta, now=clock.now())
    return service.read(ad)


@router.get("", dependencies=Managing, summary="Ads, newest first")
async def list_ads(
    session: DbSession, is_active: bool | None = None, limit: Limit = 50, cursor: Cursor = None
) -> Page[AdRead]:
    query = paginate(service.listing(is_active=is_active), Advertisement.id, cursor, limit)
    rows = (await session.scalars(query)).all()
    items, next_cursor = page_of(rows, limit, lambda row: row.id)
    return Page[AdRead](items=[service.read(ad) for ad in items], next_cursor=next_cursor)


@router.get("/{ad_id}", dependencies=Managing, summary="One ad")
async def get_ad(ad_id: uuid.UUID, session: DbSession) -> AdRead:
    return service.read(await service.get(session, ad_id))


@router.patch("/{ad_id}", summary="Change, schedule or deactivate an ad")
async def update_ad(
    ad_id: uuid.UUID, body: AdUpdate, session: DbSession, meta: Meta, manager: Manager
) -> AdRead:
    ad = await service.update(
        session, ad_id, body, actor_id=manager.user_id, meta=meta, now=clock.now()
    )
    return service.read(ad)


@router.delete(
    "/{ad_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an ad nobody has seen"
)
async def delete_ad(ad_id: uuid.UUID, session: DbSession, meta: Meta, manager: Manager) -> None:
    await service.remove(session, ad_id, actor_id=manager.user_id, meta=meta)


@router.get(
    "/{ad_id}/stats",
    dependencies=Managing,
    summary="Impressions, unique viewers, clicks and click-through rate by UTC day",
)
async def ad_stats(
    ad_id: uuid.UUID, session: DbSession, first: FromDay = None, last: ToDay = None
) -> AdStats:
    last = last or clock.now().date()
    first = first or stats.first_by_default(last)
    return await stats.ad_stats(session, ad_id, first=first, last=last)


@me_router.get("", response_model=OwnAds, summary="The ads shown to one of my profiles now")
async def own_ads(
    request: Request,
    principal: CurrentPrincipal,
    customer_id: ProfileId = None,
    limit: Shown = 10,
) -> Response:
    # The hot read: compiled statements outside the request's unit of work (targeting).
    body = await targeting.own_ads_json(
        request.app.state.read_engine,
        principal.user_id,
        customer_id,
        now=clock.now(),
        limit=limit,
    )
    return Response(body, media_type="application/json")


@me_router.post(
    "/{ad_id}/view", status_code=status.HTTP_201_CREATED, summary="One of my profiles saw an ad"
)
async def view_ad(
    ad_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    body: ImpressionCreate | None = None,
) -> ImpressionRead:
    customer_id = body.customer_id if body else None
    profile = await showing.own_profile(session, principal.user_id, customer_id)
    seen = await showing.record_view(session, profile, ad_id, now=clock.now())
    return ImpressionRead.model_validate(seen)


@me_router.post("/{ad_id}/click", summary="One of my profiles clicked an ad it saw")
async def click_ad(
    ad_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    body: ImpressionCreate | None = None,
) -> ImpressionRead:
    customer_id = body.customer_id if body else None
    profile = await showing.own_profile(session, principal.user_id, customer_id)
    clicked = await showing.record_click(session, profile, ad_id, now=clock.now())
    return ImpressionRead.model_validate(clicked)
