"""The lifecycle table: allowed moves, refused ones, the cutoff and its override, the
timeline, and a cancelled slot freed at once."""

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

BEFORE_CUTOFF = datetime(2026, 11, 28, 12, tzinfo=UTC)  # the booking is on Dec 1 at 08:00Z
AFTER_CUTOFF = datetime(2026, 11, 30, 9, tzinfo=UTC)  # less than 24 h before
AFTER_START = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(BEFORE_CUTOFF)
    return await signed_in(app, db, role="admin")


async def _booking(
    client: httpx.AsyncClient, admin: Caller
) -> tuple[dict[str, Any], dict[str, Any]]:
    salon = await _salon(client, admin, stylists=1)
    response = await client.post(f"{API}/bookings", headers=admin.headers, json=_body(salon))
    assert response.status_code == 201, response.text
    booking: dict[str, Any] = response.json()
    return salon, booking


async def _do(
    client: httpx.AsyncClient, caller: Caller, booking: dict[str, Any], action: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/bookings/{booking['id']}/{action}", headers=caller.headers, json=body or None
    )


async def test_check_in_then_complete_writes_the_timeline(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    _, booking = await _booking(client, admin)
    checked = await _do(client, admin, booking, "check-in")
    assert checked.status_code == 200, checked.text
    assert checked.json()["appointment"]["status"] == "checked_in"
    done = await _do(client, admin, booking, "complete")
    assert (done.json()["status"], done.json()["appointment"]["status"]) == (
        "completed",
        "completed",
    )
    events = (
        await client.get(f"{API}/bookings/{booking['id']}/events", headers=admin.headers)
    ).json()
    assert [event["event_type"] for event in events] == [
        "booking.created", "appointment.checked_in", "booking.completed",
    ]  # fmt: skip
    assert events[2]["event_data"]["from"] == {"booking": "confirmed", "appointment": "checked_in"}


@pytest.mark.parametrize("action", ["confirm", "complete"])
async def test_moves_the_table_does_not_allow_are_409(
    client: httpx.AsyncClient, admin: Caller, action: str
) -> None:
    _, booking = await _booking(client, admin)  # already confirmed, not checked in
    refused = await _do(client, admin, booking, action)
    assert refused.status_code == 409
    assert refused.json()["code"] == "invalid_transition"


async def test_a_completed_or_cancelled_booking_is_final(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    _, booking = await _booking(client, admin)
    assert (await _do(client, admin, booking, "cancel")).status_code == 200
    for action in ("cancel", "check-in", "complete", "no-show", "confirm"):
        assert (await _do(client, admin, booking, action)).status_code == 409, action


async def test_no_show_only_after_the_start(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    _, booking = await _booking(client, admin)
    assert (await _do(client, admin, booking, "no-show")).status_code == 409
    clock.set(AFTER_START)
    marked = await _do(client, await signed_in_again(app, db, admin.user_id), booking, "no-show")
    assert marked.json()["status"] == "no_show"


async def test_cancelling_frees_the_slot_at_once(client: httpx.AsyncClient, admin: Caller) -> None:
    salon, booking = await _booking(client, admin)
    assert (
        await client.post(f"{API}/bookings", headers=admin.headers, json=_body(salon))
    ).status_code == 409
    await _do(client, admin, booking, "cancel")
    again = await client.post(f"{API}/bookings", headers=admin.headers, json=_body(salon))
    assert again.status_code == 201


async def test_the_cutoff_binds_customers_and_staff_override_it_with_a_reason(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    salon = await _salon(client, admin, stylists=1)
    account, mine = await customer_account(app, client, db)
    booking = (await client.post(
        f"{API}/bookings", headers=account.headers, json={**_body(salon), "customer_id": mine}
    )).json()  # fmt: skip
    clock.set(AFTER_CUTOFF)
    account = await signed_in_again(app, db, account.user_id)
    admin = await signed_in_again(app, db, admin.user_id)
    late = await _do(client, account, booking, "cancel")
    assert late.status_code == 409
    assert late.json()["code"] == "cancellation_cutoff_passed"
    without_reason = await _do(client, admin, booking, "cancel")
    assert without_reason.status_code == 409
    overridden = await _do(client, admin, booking, "cancel", reason="Stylist ill")
    assert overridden.status_code == 200
    events = (
        await client.get(f"{API}/bookings/{booking['id']}/events", headers=admin.headers)
    ).json()
    assert events[-1]["event_data"]["cutoff_overridden"] is True
    assert events[-1]["event_data"]["reason"] == "Stylist ill"


async def test_customers_cancel_their_own_bookings_only(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    _, booking = await _booking(client, admin)  # the desk's customer
    stranger = await signed_in(app, db, role="customer")
    assert (await _do(client, stranger, booking, "cancel")).status_code == 404
    staff_only = await _do(client, stranger, booking, "check-in")
    assert staff_only.status_code == 403
    assert staff_only.json()["permission"] == "bookings:update"
