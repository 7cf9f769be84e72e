"""Placing bookings: one transaction, the availability rules, 409 on a taken slot,
ownership for customer accounts, and SECURITY.md 17 under real concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.scheduling.models import Appointment
from frontdesk.core.clock import FrozenClock
from frontdesk.security.audit.models import AuditLog
from tests.security.audit.callers import Caller, signed_in

API = "/api/v1"
NINE = "2026-12-01T09:00:00+01:00"  # Tuesday, Paris
WEEK = [{"weekday": d, "start_time": "09:00", "end_time": "12:00"} for d in range(1, 8)]


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(datetime(2026, 11, 28, 12, tzinfo=UTC))
    return await signed_in(app, db, role="admin")


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def _salon(client: httpx.AsyncClient, admin: Caller, stylists: int = 2) -> dict[str, Any]:
    headers = admin.headers
    await _ok(
        await client.patch(
            f"{API}/settings/business", headers=headers, json={"time_zone": "Europe/Paris"}
        )
    )
    service = await _ok(await client.post(
        f"{API}/services", headers=headers,
        json={"name": "Cut", "duration_minutes": 60, "buffer_after_minutes": 15, "price": "30.50"},
    ))  # fmt: skip
    staff = []
    for n in range(stylists):
        person = await _ok(await client.post(
            f"{API}/admin/users", headers=headers,
            json={"username": f"stylist{n}", "email": f"stylist{n}@example.com",
                  "password": "correct horse battery staple 42"},
        ))  # fmt: skip
        await _ok(
            await client.put(
                f"{API}/staff/{person['id']}/services",
                headers=headers,
                json={"service_ids": [service["id"]]},
            )
        )
        await _ok(
            await client.put(
                f"{API}/staff/{person['id']}/hours", headers=headers, json={"ranges": WEEK}
            )
        )
        staff.append(person["id"])
    customer = await _ok(
        await client.post(f"{API}/customers", headers=headers, json={"name": "Ada"})
    )
    return {"service": service["id"], "staff": staff, "customer": customer["id"]}


async def customer_account(
    app: FastAPI, client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> tuple[Caller, str]:
    """A signed-in customer account and the id of the profile it owns."""
    account = await signed_in(app, db, role="customer")
    mine = await _ok(
        await client.post(f"{API}/me/customers", headers=account.headers, json={"name": "Me"})
    )
    return account, mine["id"]


def _body(salon: dict[str, Any], staff: str = "any", start: str = NINE) -> dict[str, Any]:
    return {
        "customer_id": salon["customer"],
        "service_id": salon["service"],
        "start": start,
        "staff_id": staff,
    }


async def test_the_desk_books_a_slot_in_one_transaction(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    salon = await _salon(client, admin)
    booked = await _ok(
        await client.post(
            f"{API}/bookings", headers=admin.headers, json=_body(salon, salon["staff"][0])
        )
    )
    assert (booked["status"], booked["source"], booked["total"], booked["currency"]) == (
        "confirmed",
        "desk",
        "30.5",
        "EUR",
    )
    appointment = booked["appointment"]
    assert appointment["staff_id"] == salon["staff"][0]
    assert appointment["start"] == "2026-12-01T08:00:00Z"
    assert appointment["end"] == "2026-12-01T09:00:00Z"
    assert [item["kind"] for item in booked["items"]] == ["service"]
    events = await _ok(
        await client.get(f"{API}/bookings/{booked['id']}/events", headers=admin.headers)
    )
    assert [event["event_type"] for event in events] == ["booking.created"]
    async with db() as session:
        audited = await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "booking.create")
        )
    assert audited == 1


async def test_any_staff_takes_whoever_is_free(client: httpx.AsyncClient, admin: Caller) -> None:
    salon = await _salon(client, admin)
    first = await _ok(
        await client.post(f"{API}/bookings", headers=admin.headers, json=_body(salon))
    )
    second = await _ok(
        await client.post(f"{API}/bookings", headers=admin.headers, json=_body(salon))
    )
    assert {first["appointment"]["staff_id"], second["appointment"]["staff_id"]} == set(
        salon["staff"]
    )
    third = await client.post(f"{API}/bookings", headers=admin.headers, json=_body(salon))
    assert third.status_code == 409
    assert third.json()["code"] == "booking_conflict"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"start": "2026-12-01T08:00:00+01:00"}, 409),  # before opening
        ({"start": "2026-12-01T11:30:00+01:00"}, 409),  # would end after closing
        ({"start": "2026-12-01T09:07:00+01:00"}, 409),  # off the slot grid
        ({"start": "2026-11-28T12:30:00+00:00"}, 409),  # inside the minimum notice
        ({"service_id": "00000000-0000-0000-0000-000000000001"}, 422),
        ({"start": "2026-12-01T09:00:00"}, 422),  # naive
        ({"staff_id": "someone"}, 422),
    ],
)
async def test_slots_availability_does_not_offer_are_refused(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    change: dict[str, str],
    status: int,
) -> None:
    salon = await _salon(client, admin, stylists=1)
    response = await client.post(
        f"{API}/bookings", headers=admin.headers, json={**_body(salon), **change}
    )
    assert response.status_code == status, response.text
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 0


async def test_a_customer_books_only_for_its_own_profiles(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    salon = await _salon(client, admin)
    account, mine = await customer_account(app, client, db)
    other = await client.post(f"{API}/bookings", headers=account.headers, json=_body(salon))
    assert other.status_code == 404  # the desk's customer is not this account's
    booked = await _ok(await client.post(
        f"{API}/bookings", headers=account.headers, json={**_body(salon), "customer_id": mine}
    ))  # fmt: skip
    assert booked["source"] == "online"
    stranger = await signed_in(app, db, role="customer")
    assert (
        await client.get(f"{API}/bookings/{booked['id']}", headers=stranger.headers)
    ).status_code == 404
    assert (
        await client.get(f"{API}/bookings/{booked['id']}", headers=account.headers)
    ).status_code == 200


async def test_concurrent_bookings_of_one_slot_give_exactly_one_success(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    """SECURITY.md 17: 24 overlapping bookings for one staff member at once, each on its
    own connection: one 201, every other a 409, one appointment in the database."""
    salon = await _salon(client, admin, stylists=1)
    starts = ["2026-12-01T09:00:00+01:00", "2026-12-01T09:15:00+01:00", "2026-12-01T09:30:00+01:00"]
    bodies = [_body(salon, salon["staff"][0], starts[n % 3]) for n in range(24)]
    responses = await asyncio.gather(
        *(client.post(f"{API}/bookings", headers=admin.headers, json=body) for body in bodies)
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(201) == 1, [r.text for r in responses if r.status_code not in (201, 409)]
    assert statuses.count(409) == 23
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 1
