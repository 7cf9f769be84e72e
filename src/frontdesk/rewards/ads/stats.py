"""An ad's figures per UTC day: impressions, unique viewers, clicks, click-through rate.

A click counts on the day of the impression it clicked (clicks never exceed impressions,
and a day's rate is its own impressions' share that were clicked). Computed in SQL, one
read grouped by day and one for the totals, over the ``(ad_id, viewed_at)`` index; days
without impressions are listed with zeros. The totals count a viewer once over the whole
range, so they are not the sum of the days' unique viewers.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.errors import ValidationFailedError
from frontdesk.rewards.ads import service
from frontdesk.rewards.ads.models import CustomerAdViewed
from frontdesk.rewards.ads.schemas import AdStats, DayFigures, Figures

DEFAULT_DAYS = 30
MAX_DAYS = 366
RATE_PLACES = Decimal("0.0001")

Seen = CustomerAdViewed


def rate(clicks: int, impressions: int) -> Decimal:
    """clicks / impressions to 4 places, half up; 0 without impressions."""
    if impressions == 0:
        return Decimal(0).quantize(RATE_PLACES)
    return (Decimal(clicks) / Decimal(impressions)).quantize(RATE_PLACES, ROUND_HALF_UP)


def first_by_default(last: date) -> date:
    """Without ``from``: the 30 days that end with ``last``."""
    return last - timedelta(days=DEFAULT_DAYS - 1)


def _check_range(first: date, last: date) -> None:
    if last < first:
        raise ValidationFailedError(
            "The range ends before it starts.", path="query.to", message="must not be before from"
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailedError(
            f"At most {MAX_DAYS} days at once.",
            path="query.to",
            message=f"at most {MAX_DAYS} days after from",
        )


def _utc_day(dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of an impression. SQLite stores instants as UTC text."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", Seen.viewed_at))
    return func.date(Seen.viewed_at)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _figures(impressions: int, viewers: int, clicks: int) -> dict[str, Any]:
    return {
        "impressions": impressions,
        "unique_viewers": viewers,
        "clicks": clicks,
        "click_through_rate": rate(clicks, impressions),
    }


async def ad_stats(session: AsyncSession, ad_id: uuid.UUID, *, first: date, last: date) -> AdStats:
    """The figures of ``ad_id`` for each UTC day from ``first`` to ``last`` (inclusive)."""
    _check_range(first, last)
    await service.get(session, ad_id)
    start = datetime.combine(first, time(), UTC)
    end = datetime.combine(last + timedelta(days=1), time(), UTC)
    in_range = (Seen.ad_id == ad_id, Seen.viewed_at >= start, Seen.viewed_at < end)
    counts = (
        func.count(),
        func.count(distinct(Seen.customer_id)),
        func.coalesce(func.sum(case((Seen.clicked.is_(True), 1), else_=0)), 0),
    )
    day = _utc_day(session.get_bind().dialect.name).label("day")
    by_day = await session.execute(select(day, *counts).where(*in_range).group_by(day))
    found = {_as_date(row[0]): _figures(*row[1:]) for row in by_day}
    totals = (await session.execute(select(*counts).where(*in_range))).one()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return AdStats(
        ad_id=ad_id,
        from_day=first,
        to_day=last,
        days=[DayFigures(day=each, **found.get(each, _figures(0, 0, 0))) for each in days],
        totals=Figures(**_figures(*totals)),
    )
