"""Rescheduling: checked like a new booking, atomic, the old slot freed, the cutoff."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from tests.business.orders.test_booking import API, _body, _salon, customer_account
from tests.security.audit.callers import Caller, signed_in, signed_in_again

# The service takes an hour and keeps 15 minutes free after it.
NINE, LATER = "2026-12-01T09:00:00+01:00", "2026-12-01T10:15:00+01:00"


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(datetime(2026, 11, 28, 12, tzinfo=UTC))
    return await signed_in(app, db, role="admin")


async def _book(client: httpx.AsyncClient, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"{API}/bookings", headers=caller.headers, json=body)
    assert response.status_code == 201, response.text
    booked: dict[str, Any] = response.json()
    return booked


async def _move(
    client: httpx.AsyncClient, caller: Caller, booking: dict[str, Any], **body: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/bookings/{booking['id']}/reschedule", headers=caller.headers, json=body
    )


async def test_a_move_takes_the_new_slot_and_frees_the_old_one(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    salon = await _salon(client, admin, stylists=1)
    booking = await _book(client, admin, _body(salon, start=NINE))
    moved = await _move(client, admin, booking, start=LATER)
    assert moved.status_code == 200, moved.text
    assert moved.json()["appointment"]["start"] == "2026-12-01T09:15:00Z"
    assert moved.json()["appointment"]["id"] == booking["appointment"]["id"]
    await _book(client, admin, _body(salon, start=NINE))  # the old slot is free again
    events = (
        await client.get(f"{API}/bookings/{booking['id']}/events", headers=admin.headers)
    ).json()
    assert events[-1]["event_type"] == "appointment.rescheduled"
    assert events[-1]["event_data"]["from"]["start"] == "2026-12-01T08:00:00+00:00"


async def test_a_move_may_overlap_its_own_old_time(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    salon = await _salon(client, admin, stylists=1)
    booking = await _book(client, admin, _body(salon, start=NINE))
    moved = await _move(client, admin, booking, start="2026-12-01T09:15:00+01:00")
    assert moved.status_code == 200, moved.text


async def test_a_move_into_a_taken_slot_is_409_and_changes_nothing(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    salon = await _salon(client, admin, stylists=1)
    booking = await _book(client, admin, _body(salon, start=NINE))
    await _book(client, admin, _body(salon, start=LATER))
    refused = await _move(client, admin, booking, start=LATER)
    assert refused.status_code == 409
    assert refused.json()["code"] == "booking_conflict"
    kept = (await client.get(f"{API}/bookings/{booking['id']}", headers=admin.headers)).json()
    assert kept["appointment"]["start"] == "2026-12-01T08:00:00Z"
    events = (
        await client.get(f"{API}/bookings/{booking['id']}/events", headers=admin.headers)
    ).json()
    assert [event["event_type"] for event in events] == ["booking.created"]


async def test_a_move_to_another_staff_member(client: httpx.AsyncClient, admin: Caller) -> None:
    salon = await _salon(client, admin, stylists=2)
    booking = await _book(client, admin, _body(salon, salon["staff"][0], NINE))
    moved = await _move(client, admin, booking, start=NINE, staff_id=salon["staff"][1])
    assert moved.json()["appointment"]["staff_id"] == salon["staff"][1]


async def test_the_reschedule_cutoff_and_its_override(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    salon = await _salon(client, admin, stylists=1)
    account, mine = await customer_account(app, client, db)
    booking = await _book(client, account, {**_body(salon, start=NINE), "customer_id": mine})
    assert (await _move(client, account, booking, start=LATER)).status_code == 200
    clock.set(datetime(2026, 11, 30, 12, tzinfo=UTC))  # within 24 h of the new start
    account = await signed_in_again(app, db, account.user_id)
    admin = await signed_in_again(app, db, admin.user_id)
    late = await _move(client, account, booking, start=NINE)
    assert late.status_code == 409
    assert late.json()["code"] == "reschedule_cutoff_passed"
    overridden = await _move(client, admin, booking, start=NINE, reason="Customer called")
    assert overridden.status_code == 200, overridden.text
    stranger = await signed_in(app, db, role="customer")
    assert (await _move(client, stranger, booking, start=LATER)).status_code == 404
