"""Properties of booking, through the HTTP API on both engines (hypothesis):

- after any sequence of book, cancel and reschedule, no two time-holding appointments of
  one staff member overlap (buffers included);
- availability and booking agree: every slot availability offers can be booked, and
  every other start on the grid is refused with 409.

Each example builds its own service (random duration and buffers) and staff members, so
examples never see each other's appointments.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from frontdesk.business.scheduling.models import BLOCKING_STATUSES, Appointment
from frontdesk.core.clock import FrozenClock
from tests.business.orders.test_booking import API, WEEK
from tests.security.audit.callers import Caller, signed_in

DAY = datetime(2026, 12, 1, 8, tzinfo=UTC)  # Tuesday 09:00 in Paris: the hours open
GRID = [DAY + timedelta(minutes=15 * n) for n in range(14)]  # 09:00 to 12:15, past closing
STAFF = 2
PER_EXAMPLE = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
_names = itertools.count()

book = st.tuples(st.just("book"), st.sampled_from([*range(STAFF), "any"]), st.sampled_from(GRID))
cancel = st.tuples(st.just("cancel"), st.integers(0, 20))
reschedule = st.tuples(st.just("reschedule"), st.integers(0, 20), st.sampled_from(GRID))
services = st.fixed_dictionaries(
    {
        "duration_minutes": st.sampled_from([15, 30, 45, 60, 90]),
        "buffer_before_minutes": st.sampled_from([0, 5, 10, 15, 30]),
        "buffer_after_minutes": st.sampled_from([0, 5, 10, 15, 30]),
    }
)


@pytest.fixture
async def desk(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(datetime(2026, 11, 28, 12, tzinfo=UTC))
    return await signed_in(app, db, role="admin")


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def _salon(
    client: httpx.AsyncClient, desk: Caller, service: dict[str, Any]
) -> dict[str, Any]:
    """A fresh service and staff members, working 09:00-12:00 Paris every day."""
    headers, n = desk.headers, next(_names)
    await _ok(await client.patch(
        f"{API}/settings/business", headers=headers,
        json={"time_zone": "Europe/Paris", "cancellation_cutoff_minutes": 0,
              "reschedule_cutoff_minutes": 0},
    ))  # fmt: skip
    created = await _ok(await client.post(
        f"{API}/services", headers=headers, json={"name": f"Service {n}", "price": "10", **service}
    ))  # fmt: skip
    staff = []
    for s in range(STAFF):
        person = await _ok(await client.post(
            f"{API}/admin/users", headers=headers,
            json={"username": f"prop{n}x{s}", "email": f"prop{n}x{s}@example.com",
                  "password": "correct horse battery staple 42"},
        ))  # fmt: skip
        await _ok(await client.put(
            f"{API}/staff/{person['id']}/services", headers=headers,
            json={"service_ids": [created["id"]]},
        ))  # fmt: skip
        await _ok(
            await client.put(
                f"{API}/staff/{person['id']}/hours", headers=headers, json={"ranges": WEEK}
            )
        )
        staff.append(person["id"])
    customer = await _ok(
        await client.post(f"{API}/customers", headers=headers, json={"name": f"Customer {n}"})
    )
    return {"service": created["id"], "staff": staff, "customer": customer["id"]}


async def _book(
    client: httpx.AsyncClient, desk: Caller, salon: dict[str, Any], staff: str, start: datetime
) -> httpx.Response:
    body = {
        "customer_id": salon["customer"],
        "service_id": salon["service"],
        "start": start.isoformat(),
        "staff_id": staff,
    }
    return await client.post(f"{API}/bookings", headers=desk.headers, json=body)


def _code(response: httpx.Response) -> str:
    return str(response.json().get("code"))


async def _overlapping_pairs(db: async_sessionmaker[AsyncSession], staff: list[str]) -> int:
    first, second = aliased(Appointment), aliased(Appointment)
    holding = (first.status.in_(BLOCKING_STATUSES), second.status.in_(BLOCKING_STATUSES))
    query = (
        select(func.count())
        .select_from(first)
        .join(
            second,
            and_(
                first.user_id == second.user_id,
                first.id < second.id,
                first.blocked_from < second.blocked_until,
                second.blocked_from < first.blocked_until,
            ),
        )
        .where(first.user_id.in_([uuid.UUID(s) for s in staff]), *holding)
    )
    async with db() as session:
        return int(await session.scalar(query) or 0)


async def _apply(
    client: httpx.AsyncClient,
    desk: Caller,
    salon: dict[str, Any],
    bookings: list[str],
    operation: tuple[Any, ...],
) -> None:
    """One operation; the answer must be a success or a clean 409."""
    kind = operation[0]
    if kind == "book":
        staff = operation[1] if operation[1] == "any" else salon["staff"][operation[1]]
        response = await _book(client, desk, salon, staff, operation[2])
        if response.status_code == 201:
            bookings.append(response.json()["id"])
            return
        assert (response.status_code, _code(response)) == (409, "booking_conflict"), response.text
        return
    if not bookings:
        return
    booking_id = bookings[operation[1] % len(bookings)]
    if kind == "cancel":
        response = await client.post(
            f"{API}/bookings/{booking_id}/cancel", headers=desk.headers, json=None
        )
    else:
        response = await client.post(
            f"{API}/bookings/{booking_id}/reschedule",
            headers=desk.headers,
            json={"start": operation[2].isoformat()},
        )
    if response.status_code != 200:
        assert response.status_code == 409, response.text
        assert _code(response) in ("booking_conflict", "invalid_transition"), response.text


@PER_EXAMPLE
@given(service=services, operations=st.lists(st.one_of(book, cancel, reschedule), max_size=14))
async def test_no_two_appointments_of_a_staff_member_ever_overlap(
    client: httpx.AsyncClient,
    desk: Caller,
    db: async_sessionmaker[AsyncSession],
    service: dict[str, Any],
    operations: list[tuple[Any, ...]],
) -> None:
    salon = await _salon(client, desk, service)
    bookings: list[str] = []
    for operation in operations:
        await _apply(client, desk, salon, bookings, operation)
        assert await _overlapping_pairs(db, salon["staff"]) == 0, operation


@PER_EXAMPLE
@given(
    service=services,
    taken=st.lists(st.tuples(st.integers(0, STAFF - 1), st.sampled_from(GRID)), max_size=6),
)
async def test_every_offered_slot_can_be_booked_and_no_other(
    client: httpx.AsyncClient,
    desk: Caller,
    service: dict[str, Any],
    taken: list[tuple[int, datetime]],
) -> None:
    salon = await _salon(client, desk, service)
    for staff_index, start in taken:  # whatever fits, as earlier customers left it
        await _book(client, desk, salon, salon["staff"][staff_index], start)
    offered = await _ok(
        await client.get(
            f"{API}/availability",
            params={
                "service_id": salon["service"],
                "from": DAY.isoformat(),
                "to": (DAY + timedelta(hours=5)).isoformat(),
            },
        )
    )
    slots = {
        row["staff_id"]: {datetime.fromisoformat(s) for s in row["slots"]}
        for row in offered["staff"]
    }
    for staff in salon["staff"]:
        for start in GRID:
            response = await _book(client, desk, salon, staff, start)
            if start not in slots.get(staff, set()):
                assert (response.status_code, _code(response)) == (409, "booking_conflict")
                continue
            assert response.status_code == 201, (start, response.text)
            # Give the slot back, so every offered slot is tried from the same state.
            await _ok(
                await client.post(
                    f"{API}/bookings/{response.json()['id']}/cancel",
                    headers=desk.headers,
                    json=None,
                )
            )
