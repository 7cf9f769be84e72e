"""Advertisements: create, change, list, delete; every change audited.

An ad runs from ``starts_at`` (default: when it is created) until ``ends_at`` (default:
never) while ``is_active``. An ad that was seen keeps its impressions: deleting it is
refused (409 ``ad_has_impressions``), deactivating it is the way to stop it; an ad never
seen can be deleted. Every change, once committed, clears this process's list of running
ads (``targeting``), so the next ``GET /me/ads`` served here reads them anew.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.deps import after_commit
from frontdesk.core.errors import ConflictError, NotFoundError, ValidationFailedError, register_code
from frontdesk.core.request_context import RequestMeta
from frontdesk.rewards.ads.models import Advertisement, CustomerAdViewed
from frontdesk.rewards.ads.schemas import AdCreate, AdRead, AdUpdate
from frontdesk.rewards.ads.targeting import DEFAULT_VIEWS_PER_DAY, forget_running_ads
from frontdesk.rewards.marketing.audience import check_references
from frontdesk.security.audit import service as audit

AUDIENCE_PATH = "body.target_audience"


class AdHasImpressionsError(ConflictError):
    error = register_code("ad_has_impressions", 409, "The ad has impressions")


def views_per_day(ad: Advertisement) -> int:
    """The cap in force for ``ad``."""
    return ad.max_views_per_day or DEFAULT_VIEWS_PER_DAY


def read(ad: Advertisement) -> AdRead:
    return AdRead(
        id=ad.id,
        title=ad.title,
        content=ad.content,
        link_url=ad.link_url,
        target_audience=ad.target_audience,
        is_active=ad.is_active,
        starts_at=ad.starts_at,
        ends_at=ad.ends_at,
        max_views_per_day=ad.max_views_per_day,
        views_per_day=views_per_day(ad),
        created_at=ad.created_at,
        updated_at=ad.updated_at,
    )


def _audited(values: dict[str, Any]) -> dict[str, Any]:
    """Audit details are JSON: instants as ISO text, the rule as stored."""
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in values.items()
    }


def _check_schedule(starts_at: datetime, ends_at: datetime | None, *, path: str) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationFailedError(
            "The ad would end before it starts.",
            path=path,
            message="ends_at must be later than starts_at",
        )


async def create(
    session: AsyncSession, body: AdCreate, *, actor_id: uuid.UUID, meta: RequestMeta, now: datetime
) -> Advertisement:
    await check_references(session, body.target_audience, path=AUDIENCE_PATH)
    starts_at = body.starts_at or now
    _check_schedule(starts_at, body.ends_at, path="body.ends_at")
    ad = Advertisement(
        title=body.title,
        content=body.content,
        link_url=body.link_url,
        target_audience=body.target_audience.stored(),
        is_active=body.is_active,
        starts_at=starts_at,
        ends_at=body.ends_at,
        max_views_per_day=body.max_views_per_day,
        created_at=now,
        updated_at=now,
    )
    session.add(ad)
    await session.flush()
    after_commit(session, forget_running_ads)
    await audit.record(
        session,
        action="ad.create",
        success=True,
        actor_id=actor_id,
        resource=f"ad:{ad.id}",
        details=_audited(
            {"title": ad.title, "target_audience": ad.target_audience, "starts_at": starts_at}
        ),
        meta=meta,
    )
    return ad


async def get(session: AsyncSession, ad_id: uuid.UUID, *, lock: bool = False) -> Advertisement:
    ad = await session.get(Advertisement, ad_id, with_for_update=lock)
    if ad is None:
        raise NotFoundError("No such ad.")
    return ad


def listing(*, is_active: bool | None) -> Select[Any]:
    """Ads for :func:`frontdesk.core.pagination.paginate` (newest first)."""
    query = select(Advertisement)
    if is_active is not None:
        query = query.where(Advertisement.is_active.is_(is_active))
    return query


async def update(
    session: AsyncSession,
    ad_id: uuid.UUID,
    body: AdUpdate,
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
    now: datetime,
) -> Advertisement:
    changes = body.changes()
    ad = await get(session, ad_id, lock=True)
    if body.target_audience is not None:  # replaced whole, stored in its JSON form
        await check_references(session, body.target_audience, path=AUDIENCE_PATH)
        changes["target_audience"] = body.target_audience.stored()
    _check_schedule(
        changes.get("starts_at", ad.starts_at),
        changes.get("ends_at", ad.ends_at),
        path="body.ends_at" if "ends_at" in changes else "body.starts_at",
    )
    before = {name: getattr(ad, name) for name in changes}
    for name, value in changes.items():
        setattr(ad, name, value)
    ad.updated_at = now
    await session.flush()
    after_commit(session, forget_running_ads)
    await audit.record(
        session,
        action="ad.update",
        success=True,
        actor_id=actor_id,
        resource=f"ad:{ad.id}",
        details=audit.changed_fields(_audited(before), _audited(changes)),
        meta=meta,
    )
    return ad


async def remove(
    session: AsyncSession, ad_id: uuid.UUID, *, actor_id: uuid.UUID, meta: RequestMeta
) -> None:
    """Delete an ad nobody has seen. The ad's row is locked first, so an impression
    recorded meanwhile (its foreign key waits on the lock) is either seen here or
    refused by the deletion's foreign key check, never orphaned."""
    ad = await get(session, ad_id, lock=True)
    seen = await session.scalar(
        select(CustomerAdViewed.id).where(CustomerAdViewed.ad_id == ad.id).limit(1)
    )
    if seen is not None:
        raise AdHasImpressionsError(
            "The ad has been seen; deactivate it (is_active: false) to stop it instead."
        )
    await audit.record(
        session,
        action="ad.delete",
        success=True,
        actor_id=actor_id,
        resource=f"ad:{ad.id}",
        details={"title": ad.title},
        meta=meta,
    )
    await session.execute(delete(Advertisement).where(Advertisement.id == ad.id))
    after_commit(session, forget_running_ads)
