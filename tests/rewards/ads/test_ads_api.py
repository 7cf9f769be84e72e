"""``/api/v1/admin/ads``: creating, listing, changing and deleting ads (``ads:manage``),
their validation (every bad value a 422 at its path, nothing written) and their audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.db import transaction
from frontdesk.rewards.ads.models import Advertisement
from frontdesk.security.audit.models import AuditLog
from tests.rewards.ads.conftest import ADMIN, new_ad, profile, seen_at
from tests.rewards.marketing.conftest import NOW, services
from tests.security.audit.callers import Caller, signed_in


async def _audits(db: async_sessionmaker[AsyncSession], action: str) -> list[AuditLog]:
    async with db() as session:
        query = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.sequence)
        return list(await session.scalars(query))


async def _ad_count(db: async_sessionmaker[AsyncSession]) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(Advertisement)) or 0)


async def test_an_ad_is_created_with_its_defaults_and_audited(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    ad = await new_ad(
        client,
        admin,
        title="  Spring colour ",
        link_url="https://example.com/spring?utm=app",
        target_audience={"tags": ["vip", " vip"], "min_points": 100},
    )
    assert ad["title"] == "Spring colour"
    assert ad["link_url"] == "https://example.com/spring?utm=app"
    assert ad["target_audience"] == {"tags": ["vip"], "min_points": 100}
    assert ad["is_active"] is True
    assert ad["starts_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert (ad["ends_at"], ad["max_views_per_day"], ad["views_per_day"]) == (None, None, 3)
    fetched = await client.get(f"{ADMIN}/{ad['id']}", headers=admin.headers)
    assert fetched.json() == ad
    (audit,) = await _audits(db, "ad.create")
    assert (audit.user_id, audit.resource) == (admin.user_id, f"ad:{ad['id']}")
    assert audit.details is not None
    assert audit.details["target_audience"] == {"tags": ["vip"], "min_points": 100}


RULE = "body.target_audience"
BAD_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"title": ""}, "body.title"),
    ({"title": "x" * 201}, "body.title"),
    ({"title": "two\nlines"}, "body.title"),
    ({"content": "bell\x07"}, "body.content"),
    ({"content": "x" * 2001}, "body.content"),
    ({"link_url": "http://example.com/"}, "body.link_url"),
    ({"link_url": "javascript:alert(1)"}, "body.link_url"),
    ({"link_url": "https://user:secret@example.com/"}, "body.link_url"),
    ({"link_url": "/relative"}, "body.link_url"),
    ({"target_audience": {"tag": ["vip"]}}, "body.target_audience.tag"),
    ({"target_audience": {"min_points": "100"}}, "body.target_audience.min_points"),
    ({"target_audience": {"min_points": -1}}, "body.target_audience.min_points"),
    ({"target_audience": {"services_booked": ["x"]}}, "body.target_audience.services_booked.0"),
    ({"target_audience": {"last_visit_before": "2026-01-01T00:00"}}, f"{RULE}.last_visit_before"),
    ({"target_audience": {"has_upcoming_appointment": 0}}, f"{RULE}.has_upcoming_appointment"),
    ({"target_audience": []}, "body.target_audience"),
    ({"max_views_per_day": 0}, "body.max_views_per_day"),
    ({"max_views_per_day": 1001}, "body.max_views_per_day"),
    ({"max_views_per_day": 2.5}, "body.max_views_per_day"),
    ({"starts_at": "2026-12-01T00:00:00"}, "body.starts_at"),
    ({"starts_at": "2026-12-02T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"}, "body"),
    ({"ends_at": "2026-11-01T00:00:00Z"}, "body.ends_at"),  # before the default start, now
    ({"impressions": 5}, "body.impressions"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "path"), BAD_BODIES)
async def test_a_bad_ad_is_refused_at_its_path_and_nothing_is_written(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    change: dict[str, Any],
    path: str,
) -> None:
    body = {"title": "Spring", "content": "20% off", **change}
    response = await client.post(ADMIN, headers=admin.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert path in [error["path"] for error in response.json()["errors"]]
    assert await _ad_count(db) == 0
    assert await _audits(db, "ad.create") == []


async def test_an_audience_naming_an_unknown_service_is_refused(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    async with transaction(db) as session:
        (known,) = await services(session, 1)
    rule = {"services_booked": [str(known.id), "01a2b3c4-0000-7000-8000-000000000000"]}
    response = await client.post(
        ADMIN, headers=admin.headers, json={"title": "t", "content": "c", "target_audience": rule}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "body.target_audience.services_booked"
    ok = await new_ad(client, admin, target_audience={"services_booked": [str(known.id)]})
    assert ok["target_audience"] == {"services_booked": [str(known.id)]}


async def test_an_ad_is_changed_field_by_field_and_audited(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    ad = await new_ad(
        client,
        admin,
        link_url="https://example.com/a",
        max_views_per_day=5,
        target_audience={"tags": ["vip"]},
    )
    url = f"{ADMIN}/{ad['id']}"
    ends = (NOW + timedelta(days=7)).isoformat()
    changed = await client.patch(
        url,
        headers=admin.headers,
        json={
            "title": "Summer",
            "link_url": None,
            "max_views_per_day": None,
            "ends_at": ends,
            "target_audience": {"min_points": 10},
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["title"], body["content"]) == ("Summer", ad["content"])
    assert (body["link_url"], body["max_views_per_day"], body["views_per_day"]) == (None, None, 3)
    assert body["target_audience"] == {"min_points": 10}  # replaced whole
    (audit,) = await _audits(db, "ad.update")
    assert audit.details is not None
    assert audit.details["before"]["title"] == "Spring colour"
    assert audit.details["after"]["target_audience"] == {"min_points": 10}
    # A start after the end, and null for what cannot be cleared.
    late = (NOW + timedelta(days=8)).isoformat()
    refused = await client.patch(url, headers=admin.headers, json={"starts_at": late})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["path"] == "body.starts_at"
    ignored = await client.patch(url, headers=admin.headers, json={"title": None})
    assert ignored.json()["title"] == "Summer"
    missing = await client.patch(
        f"{ADMIN}/01a2b3c4-0000-7000-8000-000000000000", headers=admin.headers, json={}
    )
    assert missing.status_code == 404


async def test_ads_are_listed_newest_first_and_filtered(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    first = await new_ad(client, admin, title="one")
    second = await new_ad(client, admin, title="two", is_active=False)
    third = await new_ad(client, admin, title="three")
    page = (await client.get(ADMIN, headers=admin.headers, params={"limit": 2})).json()
    assert [ad["id"] for ad in page["items"]] == [third["id"], second["id"]]
    rest = await client.get(
        ADMIN, headers=admin.headers, params={"limit": 2, "cursor": page["next_cursor"]}
    )
    assert [ad["id"] for ad in rest.json()["items"]] == [first["id"]]
    assert rest.json()["next_cursor"] is None
    inactive = await client.get(ADMIN, headers=admin.headers, params={"is_active": False})
    assert [ad["id"] for ad in inactive.json()["items"]] == [second["id"]]


async def test_only_an_ad_nobody_saw_can_be_deleted(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    unseen = await new_ad(client, admin)
    seen = await new_ad(client, admin)
    await seen_at(db, seen["id"], await profile(db, None), NOW)
    deleted = await client.delete(f"{ADMIN}/{unseen['id']}", headers=admin.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"{ADMIN}/{unseen['id']}", headers=admin.headers)).status_code == 404
    refused = await client.delete(f"{ADMIN}/{seen['id']}", headers=admin.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "ad_has_impressions"
    assert await _ad_count(db) == 1
    assert [row.resource for row in await _audits(db, "ad.delete")] == [f"ad:{unseen['id']}"]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("manager", True), ("receptionist", False), ("staff", False), ("customer", False)],
)
async def test_only_ads_managers_reach_the_admin_routes(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    role: str,
    allowed: bool,
) -> None:
    ad = await new_ad(client, admin)
    caller = await signed_in(app, db, role=role)
    calls = [
        ("POST", ADMIN, {"title": "t", "content": "c"}),
        ("GET", ADMIN, None),
        ("GET", f"{ADMIN}/{ad['id']}", None),
        ("PATCH", f"{ADMIN}/{ad['id']}", {"title": "u"}),
        ("GET", f"{ADMIN}/{ad['id']}/stats", None),
    ]
    for method, url, body in calls:
        response = await client.request(method, url, headers=caller.headers, json=body)
        assert (response.status_code < 400) is allowed, (method, url, response.text)
        if not allowed:
            assert response.status_code == 403
    anonymous = await client.get(ADMIN)
    assert anonymous.status_code == 401
