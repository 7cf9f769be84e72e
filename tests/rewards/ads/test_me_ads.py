"""``/api/v1/me/ads``: which ads a customer's profile is shown (audience, schedule,
consent, frequency cap, order), whose profile (ownership), and recording impressions
and clicks, also under concurrent requests."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.rewards.ads import targeting
from frontdesk.rewards.ads.models import Advertisement
from tests.rewards.ads.conftest import (
    ADMIN,
    ME,
    click,
    impressions,
    new_ad,
    profile,
    shown,
    view,
)
from tests.rewards.marketing.conftest import NOW, Person
from tests.security.audit.callers import Caller, signed_in, signed_in_again

HOUR = timedelta(hours=1)
VIP = Person(tags=["vip"], points=40, consent=True)


async def _set_consent(
    db: async_sessionmaker[AsyncSession], customer_id: uuid.UUID, consent: bool
) -> None:
    async with transaction(db) as session:
        await session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(preferences={"marketing": consent})
        )


async def test_a_profile_is_shown_the_live_ads_whose_audience_it_is_in(
    client: httpx.AsyncClient, admin: Caller, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    await profile(db, account, VIP)
    everyone = await new_ad(client, admin, title="everyone", link_url="https://example.com/")
    vip = await new_ad(client, admin, title="vip", target_audience={"tags": ["vip"]})
    later = (NOW + HOUR).isoformat()
    ago = (NOW - 48 * HOUR).isoformat()
    others: dict[str, dict[str, Any]] = {
        "gold": {"target_audience": {"tags": ["gold"]}},
        "rich": {"target_audience": {"min_points": 41}},
        "booked": {"target_audience": {"has_upcoming_appointment": True}},
        "inactive": {"is_active": False},
        "not yet": {"starts_at": later},
        "over": {"starts_at": ago, "ends_at": (NOW - HOUR).isoformat()},
        "just over": {"starts_at": ago, "ends_at": NOW.isoformat()},
    }
    for title, fields in others.items():
        await new_ad(client, admin, title=title, **fields)
    items = await shown(client, account)
    # Equal views and starts: the newest ad first.
    assert [item["id"] for item in items] == [vip["id"], everyone["id"]]
    assert items[1] == {
        "id": everyone["id"],
        "title": "everyone",
        "content": everyone["content"],
        "link_url": "https://example.com/",
        "views_left": 3,
    }
    assert [item["id"] for item in await shown(client, account, limit=1)] == [vip["id"]]


async def test_a_changed_audience_applies_at_once(
    client: httpx.AsyncClient, admin: Caller, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    """Even within one instant of the clock: rules are kept parsed by the ad's version."""
    await profile(db, account, VIP)
    ad = await new_ad(client, admin, target_audience={"tags": ["vip"]})
    assert [item["id"] for item in await shown(client, account)] == [ad["id"]]
    for audience, expected in (({"tags": ["gold"]}, []), ({"min_points": 40}, [ad["id"]])):
        changed = await client.patch(
            f"{ADMIN}/{ad['id']}", headers=admin.headers, json={"target_audience": audience}
        )
        assert changed.status_code == 200
        assert [item["id"] for item in await shown(client, account)] == expected
    await client.patch(f"{ADMIN}/{ad['id']}", headers=admin.headers, json={"is_active": False})
    assert await shown(client, account) == []


async def test_the_running_ads_are_kept_briefly_by_each_process(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    account: Caller,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A change made around this process (by another API process; here straight in the
    database) shows once the kept list expires; the schedule is exact meanwhile."""
    await profile(db, account, VIP)
    ad = await new_ad(client, admin, ends_at=(NOW + HOUR).isoformat())
    assert [item["id"] for item in await shown(client, account)] == [ad["id"]]
    async with transaction(db) as session:
        await session.execute(update(Advertisement).values(is_active=False))
    assert [item["id"] for item in await shown(client, account)] == [ad["id"]]
    assert (await view(client, account, ad["id"])).status_code == 404  # the database says
    clock.advance(HOUR)  # still kept, but its end is checked on every request
    account = await signed_in_again(app, db, account.user_id)
    assert await shown(client, account) == []
    monkeypatch.setattr(targeting, "LIVE_ADS_TTL_S", 0.0)
    async with transaction(db) as session:
        await session.execute(update(Advertisement).values(is_active=True, ends_at=None))
    assert [item["id"] for item in await shown(client, account)] == [ad["id"]]


async def test_without_consent_a_profile_is_shown_nothing_and_nothing_is_recorded(
    client: httpx.AsyncClient, admin: Caller, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await profile(db, account, Person(tags=["vip"]))  # never opted in
    ad = await new_ad(client, admin)
    response = await client.get(ME, headers=account.headers)
    assert response.json() == {"customer_id": str(customer_id), "items": []}
    assert (await view(client, account, ad["id"])).status_code == 404
    await _set_consent(db, customer_id, True)
    assert [item["id"] for item in await shown(client, account)] == [ad["id"]]
    assert (await view(client, account, ad["id"])).status_code == 201
    await _set_consent(db, customer_id, False)  # withdrawn: no more ads, and no clicks
    assert await shown(client, account) == []
    refused = await click(client, account, ad["id"])
    assert refused.status_code == 404
    assert [row.clicked for row in await impressions(db)] == [False]


async def test_a_profile_is_one_of_my_own_live_ones_or_my_oldest(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    account: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    nobody = await client.get(ME, headers=account.headers)
    assert nobody.status_code == 404  # an account without a profile
    oldest = await profile(db, account, Person(), name="Ada")  # no consent
    child = await profile(db, account, VIP, name="Byron")
    ad = await new_ad(client, admin)
    default = (await client.get(ME, headers=account.headers)).json()
    assert default == {"customer_id": str(oldest), "items": []}
    chosen = await client.get(ME, headers=account.headers, params={"customer_id": str(child)})
    assert [item["id"] for item in chosen.json()["items"]] == [ad["id"]]
    other = await signed_in(app, db, role="customer")
    theirs = await profile(db, other, VIP)
    for response in (
        await client.get(ME, headers=account.headers, params={"customer_id": str(theirs)}),
        await view(client, account, ad["id"], theirs),
        await click(client, account, ad["id"], theirs),
    ):
        assert response.status_code == 404, response.text
    async with transaction(db) as session:
        await session.execute(
            update(Customer).where(Customer.id == child).values(anonymized_at=NOW)
        )
    erased = await client.get(ME, headers=account.headers, params={"customer_id": str(child)})
    assert erased.status_code == 404
    assert (await client.get(ME)).status_code == 401
    assert await impressions(db) == []


async def test_the_frequency_cap_counts_the_last_24_hours(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    account: Caller,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    customer_id = await profile(db, account, VIP)
    capped = await new_ad(client, admin, title="capped", max_views_per_day=2)
    other = await new_ad(client, admin, title="other")
    assert (await view(client, account, capped["id"])).status_code == 201
    # Fewest recent impressions first: the one not yet seen leads.
    items = await shown(client, account)
    assert [(i["title"], i["views_left"]) for i in items] == [("other", 3), ("capped", 1)]
    clock.advance(HOUR)
    account = await signed_in_again(app, db, account.user_id)
    second = await view(client, account, capped["id"], customer_id)
    assert second.status_code == 201
    assert second.json()["viewed_at"] == (NOW + HOUR).isoformat().replace("+00:00", "Z")
    over = await view(client, account, capped["id"])
    assert over.status_code == 409
    assert over.json()["code"] == "frequency_cap_reached"
    assert over.json()["views_per_day"] == 2
    assert [i["id"] for i in await shown(client, account)] == [other["id"]]
    # 24 hours after the first impression it no longer counts: one view left.
    clock.set(NOW + 24 * HOUR)
    account = await signed_in_again(app, db, account.user_id)
    items = await shown(client, account)
    assert [(i["title"], i["views_left"]) for i in items] == [("other", 3), ("capped", 1)]
    assert (await view(client, account, capped["id"])).status_code == 201
    assert len(await impressions(db, customer_id=customer_id)) == 3


async def test_an_impression_only_of_an_ad_that_is_for_the_profile(
    client: httpx.AsyncClient, admin: Caller, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    await profile(db, account, VIP)
    gold = await new_ad(client, admin, target_audience={"tags": ["gold"]})
    off = await new_ad(client, admin, is_active=False)
    ahead = await new_ad(client, admin, starts_at=(NOW + HOUR).isoformat())
    for ad_id in (gold["id"], off["id"], ahead["id"], str(uuid.uuid4())):
        refused = await view(client, account, ad_id)
        assert refused.status_code == 404, refused.text
    assert await impressions(db) == []
    bad = await client.post(
        f"{ME}/{gold['id']}/view", headers=account.headers, json={"customer": "x"}
    )
    assert bad.status_code == 422


async def test_a_click_marks_the_latest_unclicked_impression_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    account: Caller,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    customer_id = await profile(db, account, VIP)
    ad = await new_ad(client, admin)
    none_yet = await click(client, account, ad["id"])
    assert none_yet.status_code == 409
    assert none_yet.json()["code"] == "no_impression"
    first = (await view(client, account, ad["id"])).json()
    clock.advance(HOUR)
    account = await signed_in_again(app, db, account.user_id)
    second = (await view(client, account, ad["id"])).json()
    clock.advance(HOUR)
    account = await signed_in_again(app, db, account.user_id)
    clicked = await click(client, account, ad["id"], customer_id)
    assert clicked.status_code == 200
    assert clicked.json()["id"] == second["id"]
    assert clicked.json()["clicked"] is True
    assert clicked.json()["clicked_at"] == (NOW + 2 * HOUR).isoformat().replace("+00:00", "Z")
    # The ad has stopped since: the impression happened, the click still counts.
    await client.patch(f"{ADMIN}/{ad['id']}", headers=admin.headers, json={"is_active": False})
    no_body = await client.post(f"{ME}/{ad['id']}/click", headers=account.headers)
    assert no_body.json()["id"] == first["id"]
    again = await click(client, account, ad["id"])
    assert again.status_code == 409
    rows = await impressions(db, customer_id=customer_id)
    assert [(row.id, row.clicked) for row in rows] == [
        (uuid.UUID(first["id"]), True),
        (uuid.UUID(second["id"]), True),
    ]


async def test_concurrent_views_never_pass_the_cap(
    client: httpx.AsyncClient, admin: Caller, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    """Ten views of one profile at once, each its own request and transaction, on a cap
    of 3: three are recorded, seven refused, on both engines."""
    customer_id = await profile(db, account, VIP)
    ad = await new_ad(client, admin, max_views_per_day=3)
    responses = await asyncio.gather(*(view(client, account, ad["id"]) for _ in range(10)))
    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 7
    assert len(await impressions(db, customer_id=customer_id)) == 3


async def test_concurrent_clicks_count_each_impression_once(
    client: httpx.AsyncClient, admin: Caller, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    await profile(db, account, VIP)
    ad = await new_ad(client, admin)
    for _ in range(2):
        assert (await view(client, account, ad["id"])).status_code == 201
    responses = await asyncio.gather(*(click(client, account, ad["id"]) for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [200] * 2 + [409] * 4
    clicked = [r.json()["id"] for r in responses if r.status_code == 200]
    assert len(set(clicked)) == 2
    assert all(row.clicked for row in await impressions(db))
