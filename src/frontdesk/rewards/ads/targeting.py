"""Which ads a customer's profile is shown now: the rule, and the hot read that applies it.

An ad is **for** a profile at ``now`` when it is active, inside its schedule
(``starts_at <= now < ends_at``), its audience rule matches the profile, and the profile
consents to marketing (``marketing.consent``). It is **shown** while the profile's
impressions of it in the last 24 hours (``viewed_at > now - 24 h``) are fewer than its
cap; the least seen first, then the latest started, then the newest.

``GET /me/ads`` runs on every screen a customer opens, so it reads like the session
check does (``core.fastread``): statements compiled once, sent straight to the driver
outside any transaction, whatever the number of customers -- the profile, the profile's
facts (one grouped read of their appointments, ``(customer_id, appointment_date)``) and
their recent impressions (``(customer_id, viewed_at)``). The running ads, with their
rules parsed, are kept per process for :data:`LIVE_ADS_TTL_S` (their schedule is still
checked against the clock on every request); a change committed through this process
clears them at once, other processes see it within that time. Recording an impression
always reads the ad from the database.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from weakref import WeakKeyDictionary

from pydantic_core import to_json
from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.business.customers.models import Customer
from frontdesk.core.errors import NotFoundError
from frontdesk.core.fastread import compiled_read
from frontdesk.rewards.ads.models import Advertisement, CustomerAdViewed
from frontdesk.rewards.marketing.audience import (
    AudienceRule,
    CustomerFacts,
    allows_marketing,
    facts_from,
    matches,
    stored_rule,
    visits_query,
)

CAP_WINDOW = timedelta(hours=24)
DEFAULT_VIEWS_PER_DAY = 3  # the frequency cap of an ad that sets none
LIVE_ADS_TTL_S = 2.0  # how long a process keeps the list of running ads


@dataclass(frozen=True)
class Profile:
    """The columns of a customer profile that choosing ads reads."""

    id: uuid.UUID
    tags: Any
    loyalty_points: int
    preferences: Any
    anonymized_at: datetime | None


PROFILE_COLUMNS = (
    Customer.id,
    Customer.tags,
    Customer.loyalty_points,
    Customer.preferences,
    Customer.anonymized_at,
)
AD_COLUMNS = (
    Advertisement.id,
    Advertisement.title,
    Advertisement.content,
    Advertisement.link_url,
    Advertisement.target_audience,
    Advertisement.max_views_per_day,
    Advertisement.starts_at,
    Advertisement.ends_at,
)


def live(now: Any) -> tuple[ColumnElement[bool], ...]:
    """SQL: the ad runs at ``now`` (a value or a bound parameter)."""
    return (
        Advertisement.is_active.is_(True),
        Advertisement.starts_at <= now,
        or_(Advertisement.ends_at.is_(None), Advertisement.ends_at > now),
    )


def runs_at(ad: Mapping[str, Any], now: datetime) -> bool:
    """:func:`live`'s schedule in Python, for a row of AD_COLUMNS of an active ad."""
    ends_at: datetime | None = ad["ends_at"]
    return bool(ad["starts_at"] <= now and (ends_at is None or ends_at > now))


def cap(ad: Mapping[str, Any]) -> int:
    """Impressions per rolling 24 hours allowed for ``ad`` (a row of AD_COLUMNS)."""
    views: int | None = ad["max_views_per_day"]
    return views or DEFAULT_VIEWS_PER_DAY


def is_for(rule: AudienceRule | None, facts: CustomerFacts) -> bool:
    """A stored rule holds for these facts (one that no longer validates: for nobody)."""
    return rule is not None and matches(rule, facts)


@dataclass(frozen=True)
class _Running:
    """The active ads not ended at ``as_of``, each with its parsed rule."""

    ads: list[tuple[Mapping[str, Any], AudienceRule | None]]
    as_of: datetime
    read_at: float  # time.monotonic()


# Per engine: decoding and parsing a hundred rules on every request cost more than the
# rest of the read. Kept LIVE_ADS_TTL_S at most; a change made through this process
# clears it once committed (forget_running_ads), so only other processes wait.
_running: WeakKeyDictionary[Engine, _Running] = WeakKeyDictionary()


def forget_running_ads() -> None:
    _running.clear()


def _running_query() -> Select[Any]:
    return select(*AD_COLUMNS).where(
        Advertisement.is_active.is_(True),
        or_(Advertisement.ends_at.is_(None), Advertisement.ends_at > bindparam("now")),
    )


async def _live_ads(
    engine: AsyncEngine, now: datetime
) -> list[tuple[Mapping[str, Any], AudienceRule | None]]:
    """The ads running at ``now``: the schedule is checked here on every request, so the
    kept list is exact about time; only a change made elsewhere waits for the next read."""
    kept = _running.get(engine.sync_engine)
    if kept is None or time.monotonic() - kept.read_at > LIVE_ADS_TTL_S or now < kept.as_of:
        rows = await compiled_read(engine, "ads.running", _running_query).fetch(now=now)
        ads = [(row, stored_rule(row["target_audience"])) for row in rows]
        kept = _Running(ads, now, time.monotonic())
        _running[engine.sync_engine] = kept
    return [(ad, rule) for ad, rule in kept.ads if runs_at(ad, now)]


def profile_query(*, by_id: bool) -> Select[Any]:
    """One of an account's live profiles (``user_id``): ``customer_id``, or the oldest."""
    query = select(*PROFILE_COLUMNS).where(
        Customer.user_id == bindparam("user_id"), Customer.anonymized_at.is_(None)
    )
    if by_id:
        return query.where(Customer.id == bindparam("customer_id"))
    return query.order_by(Customer.created_at, Customer.id).limit(1)


def recent_views_query(*, one_ad: bool) -> Select[Any]:
    """A profile's impressions per ad since ``since`` (of one ``ad_id`` if asked)."""
    columns: tuple[Any, ...] = (CustomerAdViewed.ad_id, func.count().label("views"))
    query = select(*columns).where(
        CustomerAdViewed.customer_id == bindparam("customer_id"),
        CustomerAdViewed.viewed_at > bindparam("since"),
    )
    if one_ad:
        query = query.where(CustomerAdViewed.ad_id == bindparam("ad_id"))
    return query.group_by(CustomerAdViewed.ad_id)


def _visits_query() -> Select[Any]:
    return visits_query(bindparam("customer_id"), bindparam("now"))


def chosen(
    ads: Sequence[Mapping[str, Any]], views: Mapping[uuid.UUID, int], limit: int
) -> list[dict[str, Any]]:
    """The ads under their cap, least seen first, then the latest started, then the
    newest; as the API shows them."""
    under_cap = [(views.get(ad["id"], 0), ad) for ad in ads if views.get(ad["id"], 0) < cap(ad)]
    under_cap.sort(key=lambda pair: pair[1]["id"], reverse=True)
    under_cap.sort(key=lambda pair: (pair[0], -pair[1]["starts_at"].timestamp()))
    return [
        {
            "id": ad["id"],
            "title": ad["title"],
            "content": ad["content"],
            "link_url": ad["link_url"],
            "views_left": cap(ad) - seen,
        }
        for seen, ad in under_cap[:limit]
    ]


async def _shown(
    engine: AsyncEngine, profile: Profile, now: datetime, limit: int
) -> list[dict[str, Any]]:
    if not allows_marketing(profile):
        return []  # no consent: nothing else is read
    ads = await _live_ads(engine, now)
    if not ads:
        return []
    visits = await compiled_read(engine, "ads.visits", _visits_query).fetch(
        customer_id=profile.id, now=now
    )
    facts = facts_from(profile.id, profile.tags, profile.loyalty_points, visits)
    targeted = [ad for ad, rule in ads if is_for(rule, facts)]
    if not targeted:
        return []
    recent = compiled_read(engine, "ads.recent", partial(recent_views_query, one_ad=False))
    rows = await recent.fetch(customer_id=profile.id, since=now - CAP_WINDOW)
    return chosen(targeted, {row["ad_id"]: row["views"] for row in rows}, limit)


async def own_ads_json(
    engine: AsyncEngine,
    user_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    *,
    now: datetime,
    limit: int,
) -> bytes:
    """``{"customer_id", "items"}``: the ads shown now to the account's profile
    ``customer_id`` (default: its oldest live one); 404 for any other id (SECURITY.md 14)."""
    by_id = customer_id is not None
    read = compiled_read(engine, ("ads.profile", by_id), partial(profile_query, by_id=by_id))
    params: dict[str, Any] = {"user_id": user_id}
    if by_id:
        params["customer_id"] = customer_id
    row = await read.fetchrow(**params)
    if row is None:
        raise NotFoundError("No such customer.")
    profile = Profile(**dict(row))
    items = await _shown(engine, profile, now, limit)
    return to_json({"customer_id": profile.id, "items": items})
