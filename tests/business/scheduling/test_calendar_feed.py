"""The per-staff iCalendar feed: a secret URL, parsed back with the icalendar library,
replaced by a new one, revoked, and carrying no customer data."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.scheduling.models import CalendarFeed
from frontdesk.core.clock import FrozenClock
from tests.business.orders.test_booking import API, _body, _salon
from tests.security.audit.callers import Caller, signed_in


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(datetime(2026, 11, 28, 12, tzinfo=UTC))
    return await signed_in(app, db, role="admin")


async def _issue(client: httpx.AsyncClient, admin: Caller, stylist: str) -> str:
    response = await client.post(f"{API}/staff/{stylist}/calendar-feed", headers=admin.headers)
    assert response.status_code == 201, response.text
    url: str = response.json()["url"]
    return url


async def test_a_feed_lists_the_staff_members_appointments(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    salon = await _salon(client, admin, stylists=1)
    stylist = salon["staff"][0]
    booked = await client.post(f"{API}/bookings", headers=admin.headers, json=_body(salon, stylist))
    assert booked.status_code == 201
    url = await _issue(client, admin, stylist)
    assert url.endswith(".ics")
    feed = await client.get(url)  # no credentials but the URL
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert str(event["summary"]) == "Cut"
    assert "Ada" not in feed.text  # no customer data leaves in a feed
    async with db() as session:
        stored = await session.scalar(select(CalendarFeed.token_hash))
    assert stored is not None
    assert stored not in url  # only the hash is kept


async def test_a_new_feed_replaces_the_old_and_revoking_ends_it(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    salon = await _salon(client, admin, stylists=1)
    stylist = salon["staff"][0]
    old = await _issue(client, admin, stylist)
    new = await _issue(client, admin, stylist)
    assert (await client.get(old)).status_code == 404
    assert (await client.get(new)).status_code == 200
    revoked = await client.delete(f"{API}/staff/{stylist}/calendar-feed", headers=admin.headers)
    assert revoked.status_code == 204
    assert (await client.get(new)).status_code == 404
    again = await client.delete(f"{API}/staff/{stylist}/calendar-feed", headers=admin.headers)
    assert again.status_code == 404


async def test_guessing_feeds_finds_nothing(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/calendar-feeds/not-a-real-secret.ics")).status_code == 404
    long_one = "x" * 101
    assert (await client.get(f"{API}/calendar-feeds/{long_one}")).status_code == 422
