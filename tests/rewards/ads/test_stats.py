"""``/api/v1/admin/ads/{id}/stats``: every figure of a known set of impressions and
clicks across UTC days, the days without any, the totals, and the range's rules."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.rewards.ads.stats import ad_stats, rate
from tests.rewards.ads.conftest import ADMIN, new_ad, profile, seen_at, view
from tests.rewards.marketing.conftest import NOW, Person
from tests.security.audit.callers import Caller


def utc(day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, micro, tzinfo=UTC)


async def _known_views(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> str:
    """Three customers' impressions of one ad around 25-28 November (and one of another
    ad); returns the ad's id."""
    ad: str = (await new_ad(client, admin))["id"]
    other = (await new_ad(client, admin, title="other"))["id"]
    ann, ben, cat = [await profile(db, None, Person(), name=n) for n in ("ann", "ben", "cat")]
    for customer, at, clicked in [
        (cat, utc(24, 23, 59, 59, 999_999), True),  # the day before the range
        (ann, utc(25), True),
        (ann, utc(25, 23, 59, 59, 999_999), False),
        (ben, utc(25, 12), True),
        (cat, utc(26, 8), False),
        (ann, utc(28), True),
        (ben, utc(29), False),  # the day after it
    ]:
        await seen_at(db, ad, customer, at, clicked=clicked)
    await seen_at(db, other, ann, utc(25, 9), clicked=True)
    return ad


def _day(day: str, impressions: int, viewers: int, clicks: int, ctr: str) -> dict[str, object]:
    return {
        "day": day,
        "impressions": impressions,
        "unique_viewers": viewers,
        "clicks": clicks,
        "click_through_rate": ctr,
    }


async def test_every_figure_of_a_known_set_of_impressions(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    ad = await _known_views(client, admin, db)
    response = await client.get(
        f"{ADMIN}/{ad}/stats",
        headers=admin.headers,
        params={"from": "2026-11-25", "to": "2026-11-28"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "ad_id": ad,
        "from": "2026-11-25",
        "to": "2026-11-28",
        "days": [
            _day("2026-11-25", 3, 2, 2, "0.6667"),
            _day("2026-11-26", 1, 1, 0, "0.0000"),
            _day("2026-11-27", 0, 0, 0, "0.0000"),
            _day("2026-11-28", 1, 1, 1, "1.0000"),
        ],
        # ann, ben and cat once each over the range: not the sum of the days' viewers.
        "totals": {
            "impressions": 5,
            "unique_viewers": 3,
            "clicks": 3,
            "click_through_rate": "0.6000",
        },
    }


async def test_days_are_utc_whatever_the_database_session_time_zone(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    engine_name: str,
) -> None:
    ad = await _known_views(client, admin, db)
    async with db() as session:
        if engine_name == "postgresql":
            await session.execute(text("SET TIME ZONE 'Pacific/Auckland'"))
        figures = await ad_stats(
            session, uuid.UUID(ad), first=date(2026, 11, 25), last=date(2026, 11, 25)
        )
    assert [(d.day, d.impressions, d.clicks) for d in figures.days] == [(date(2026, 11, 25), 3, 2)]


async def test_the_default_range_is_the_30_days_up_to_today(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    ad = await _known_views(client, admin, db)  # the clock reads 28 November
    body = (await client.get(f"{ADMIN}/{ad}/stats", headers=admin.headers)).json()
    assert (body["from"], body["to"], len(body["days"])) == ("2026-10-30", "2026-11-28", 30)
    assert body["totals"] == {
        "impressions": 6,
        "unique_viewers": 3,
        "clicks": 4,
        "click_through_rate": "0.6667",
    }
    only_to = await client.get(
        f"{ADMIN}/{ad}/stats", headers=admin.headers, params={"to": "2026-11-25"}
    )
    assert (only_to.json()["from"], len(only_to.json()["days"])) == ("2026-10-27", 30)


async def test_the_stats_count_what_the_api_recorded(
    client: httpx.AsyncClient, admin: Caller, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    await profile(db, account, Person(consent=True))
    ad = (await new_ad(client, admin))["id"]
    for _ in range(2):
        assert (await view(client, account, ad)).status_code == 201
    assert (
        await client.post(f"/api/v1/me/ads/{ad}/click", headers=account.headers, json={})
    ).status_code == 200
    today = NOW.date().isoformat()
    body = (
        await client.get(
            f"{ADMIN}/{ad}/stats", headers=admin.headers, params={"from": today, "to": today}
        )
    ).json()
    assert body["days"] == [_day(today, 2, 1, 1, "0.5000")]


async def test_a_bad_range_or_ad_is_refused(client: httpx.AsyncClient, admin: Caller) -> None:
    ad = (await new_ad(client, admin))["id"]
    url = f"{ADMIN}/{ad}/stats"
    for params, path in [
        ({"from": "2026-11-28", "to": "2026-11-27"}, "query.to"),
        ({"from": "2025-11-27", "to": "2026-11-28"}, "query.to"),
        ({"from": "yesterday"}, "query.from"),
    ]:
        response = await client.get(url, headers=admin.headers, params=params)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["path"] == path
    longest = await client.get(
        url, headers=admin.headers, params={"from": "2025-11-28", "to": "2026-11-28"}
    )
    assert len(longest.json()["days"]) == 366
    missing = await client.get(f"{ADMIN}/{ad[:-4]}0000/stats", headers=admin.headers)
    assert missing.status_code == 404


def test_the_rate_is_rounded_half_up_to_four_places() -> None:
    assert rate(0, 0) == Decimal("0.0000")
    assert rate(1, 3) == Decimal("0.3333")
    assert rate(2, 3) == Decimal("0.6667")
    assert rate(1, 8) == Decimal("0.1250")
    assert rate(1, 20000) == Decimal("0.0001")  # 0.00005 rounds up
    assert rate(1, 20001) == Decimal("0.0000")
    assert rate(5, 5) == Decimal("1.0000")
