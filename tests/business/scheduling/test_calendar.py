"""GET /staff/{id}/calendar: appointments, time off and closures in a bounded window."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from tests.business.orders.test_booking import API, _body, _salon
from tests.security.audit.callers import Caller, signed_in

WEEK = {"from": "2026-11-30T00:00:00+01:00", "to": "2026-12-07T00:00:00+01:00"}


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(datetime(2026, 11, 28, 12, tzinfo=UTC))
    return await signed_in(app, db, role="admin")


async def test_a_week_view_holds_appointments_time_off_and_closures(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    salon = await _salon(client, admin, stylists=1)
    stylist = salon["staff"][0]
    booked = await client.post(f"{API}/bookings", headers=admin.headers, json=_body(salon, stylist))
    assert booked.status_code == 201
    off = {"starts_at": "2026-12-03T00:00:00+01:00", "ends_at": "2026-12-04T00:00:00+01:00"}
    await client.post(f"{API}/staff/{stylist}/time-off", headers=admin.headers, json=off)
    closed = {"starts_at": "2026-12-06T00:00:00+01:00", "ends_at": "2026-12-07T00:00:00+01:00"}
    await client.post(f"{API}/closures", headers=admin.headers, json=closed)
    outside = {"starts_at": "2027-01-01T00:00:00+01:00", "ends_at": "2027-01-02T00:00:00+01:00"}
    await client.post(f"{API}/closures", headers=admin.headers, json=outside)
    response = await client.get(
        f"{API}/staff/{stylist}/calendar", headers=admin.headers, params=WEEK
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["time_zone"] == "Europe/Paris"
    [appointment] = body["appointments"]
    assert (appointment["customer_name"], appointment["service_name"]) == ("Ada", "Cut")
    assert appointment["blocked_until"] == "2026-12-01T09:15:00Z"  # the 15-minute buffer
    assert len(body["time_off"]) == 1
    assert len(body["closures"]) == 1


async def test_the_calendar_is_bounded_and_guarded(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    salon = await _salon(client, admin, stylists=1)
    url = f"{API}/staff/{salon['staff'][0]}/calendar"
    too_long = {"from": "2026-11-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}
    assert (await client.get(url, headers=admin.headers, params=too_long)).status_code == 422
    customer = await signed_in(app, db, role="customer")
    assert (await client.get(url, headers=customer.headers, params=WEEK)).status_code == 403
    assert (await client.get(url, params=WEEK)).status_code == 401
