"""Recording what a customer's profile did with an ad: an impression, a click.

- An impression is recorded only of an ad that is for the profile now (see
  ``targeting``; 404 otherwise, as for an ad that does not exist), and only under the
  ad's cap (409 ``frequency_cap_reached``): no 24 hours ever hold more impressions of an
  ad by a profile than its cap. The count and the insert happen under the profile's row
  lock, so concurrent views of one profile take turns (SQLite serializes writers anyway).
- A click marks the profile's latest unclicked impression of the ad (409
  ``no_impression`` when there is none), under the same lock, with a conditional UPDATE
  as the backstop: each impression is clicked at most once. Without consent (withdrawn
  since the impression) the ad is not for the profile any more: 404, nothing recorded.

Impressions are behavioural data, not business changes: they are not audited (an audit
row per screen a customer opens would serialize every customer on the audit chain).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.errors import ConflictError, NotFoundError, register_code
from frontdesk.rewards.ads.models import Advertisement, CustomerAdViewed
from frontdesk.rewards.ads.targeting import (
    AD_COLUMNS,
    CAP_WINDOW,
    Profile,
    cap,
    is_for,
    live,
    profile_query,
    recent_views_query,
)
from frontdesk.rewards.marketing.audience import allows_marketing, facts_of, stored_rule

FREQUENCY_CAP_REACHED = register_code("frequency_cap_reached", 409, "Frequency cap reached")
NO_IMPRESSION = register_code("no_impression", 409, "No impression to click")


class FrequencyCapError(ConflictError):
    error = FREQUENCY_CAP_REACHED


class NoImpressionError(ConflictError):
    error = NO_IMPRESSION


async def own_profile(
    session: AsyncSession, user_id: uuid.UUID, customer_id: uuid.UUID | None
) -> Profile:
    """One of the account's live profiles (``customer_id``, or its oldest), its row
    locked until the transaction ends: ``FOR NO KEY UPDATE``, the lock the points ledger
    takes, which the foreign keys of rows being inserted for the customer do not wait
    on. Another account's profile, an erased one, or none at all: 404."""
    query = profile_query(by_id=customer_id is not None).with_for_update(key_share=True)
    params = {"user_id": user_id, "customer_id": customer_id}
    row = (await session.execute(query, params)).mappings().first()
    if row is None:
        raise NotFoundError("No such customer.")
    return Profile(**row)


async def record_view(
    session: AsyncSession, profile: Profile, ad_id: uuid.UUID, *, now: datetime
) -> CustomerAdViewed:
    """One impression of an ad that is for ``profile`` now, under its cap. The caller
    holds the profile's row lock (:func:`own_profile`)."""
    query = select(*AD_COLUMNS).where(Advertisement.id == ad_id, *live(now))
    found = (await session.execute(query)).mappings().first()
    ad = dict(found) if found is not None else None
    if ad is None or not allows_marketing(profile):
        raise NotFoundError("No such ad.")
    if not is_for(stored_rule(ad["target_audience"]), await facts_of(session, profile, now=now)):
        raise NotFoundError("No such ad.")
    params = {"customer_id": profile.id, "since": now - CAP_WINDOW, "ad_id": ad_id}
    recent = (await session.execute(recent_views_query(one_ad=True), params)).first()
    seen, most = (recent.views if recent else 0), cap(ad)
    if seen >= most:
        raise FrequencyCapError(
            f"This ad was seen {seen} times in the last 24 hours; the cap is {most}.",
            views_per_day=most,
        )
    impression = CustomerAdViewed(
        customer_id=profile.id, ad_id=ad_id, viewed_at=now, created_at=now
    )
    session.add(impression)
    await session.flush()
    return impression


async def record_click(
    session: AsyncSession, profile: Profile, ad_id: uuid.UUID, *, now: datetime
) -> CustomerAdViewed:
    """Mark the profile's latest unclicked impression of the ad clicked. The caller holds
    the profile's row lock; the conditional UPDATE is the backstop."""
    known = await session.scalar(select(Advertisement.id).where(Advertisement.id == ad_id))
    if known is None or not allows_marketing(profile):
        raise NotFoundError("No such ad.")
    latest = await session.scalar(
        select(CustomerAdViewed.id)
        .where(
            CustomerAdViewed.customer_id == profile.id,
            CustomerAdViewed.ad_id == ad_id,
            CustomerAdViewed.clicked.is_(False),
        )
        .order_by(CustomerAdViewed.viewed_at.desc(), CustomerAdViewed.id.desc())
        .limit(1)
    )
    clicked = None
    if latest is not None:
        clicked = await session.scalar(
            update(CustomerAdViewed)
            .where(CustomerAdViewed.id == latest, CustomerAdViewed.clicked.is_(False))
            .values(clicked=True, clicked_at=now)
            .returning(CustomerAdViewed)
            .execution_options(synchronize_session=False)
        )
    if clicked is None:
        raise NoImpressionError("There is no unclicked impression of this ad to click.")
    return clicked
