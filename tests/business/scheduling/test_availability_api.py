"""GET /api/v1/availability: public, bounded, per staff member, from the database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.business.scheduling.models import Service
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.security.auth.models import User
from tests import factories
from tests.security.audit.callers import Caller, signed_in

API = "/api/v1"
DAY = "2026-12-01"  # a Tuesday
WINDOW = {"from": f"{DAY}T00:00:00+01:00", "to": "2026-12-02T00:00:00+01:00"}


@pytest.fixture
async def manager(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(datetime(2026, 11, 28, 12, tzinfo=UTC))
    caller = await signed_in(app, db, role="admin")
    return caller


async def _setup(
    client: httpx.AsyncClient, manager: Caller, **service: Any
) -> tuple[str, list[str]]:
    """Paris time, a 60-minute service, two stylists working 09:00-12:00 every day."""
    await client.patch(
        f"{API}/settings/business", headers=manager.headers, json={"time_zone": "Europe/Paris"}
    )
    body = {"name": "Cut", "duration_minutes": 60, "price": "30", **service}
    service_id = (await client.post(f"{API}/services", headers=manager.headers, json=body)).json()[
        "id"
    ]
    week = [{"weekday": d, "start_time": "09:00", "end_time": "12:00"} for d in range(1, 8)]
    stylists = []
    for _ in range(2):
        person = (await client.post(
            f"{API}/admin/users",
            headers=manager.headers,
            json={"username": f"stylist{len(stylists)}", "email": f"s{len(stylists)}@example.com",
                  "password": "correct horse battery staple 42"},
        )).json()["id"]  # fmt: skip
        await client.put(
            f"{API}/staff/{person}/services",
            headers=manager.headers,
            json={"service_ids": [service_id]},
        )
        await client.put(
            f"{API}/staff/{person}/hours", headers=manager.headers, json={"ranges": week}
        )
        stylists.append(person)
    return service_id, stylists


def _local_times(staff: dict[str, Any]) -> list[str]:
    paris = timedelta(hours=1)
    return [
        (datetime.fromisoformat(slot.replace("Z", "+00:00")) + paris).strftime("%H:%M")
        for slot in staff["slots"]
    ]


async def test_anyone_sees_the_open_slots_of_every_performer(
    client: httpx.AsyncClient, manager: Caller
) -> None:
    service_id, stylists = await _setup(client, manager)
    response = await client.get(f"{API}/availability", params={"service_id": service_id, **WINDOW})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["time_zone"] == "Europe/Paris"
    assert sorted(entry["staff_id"] for entry in body["staff"]) == sorted(stylists)
    for entry in body["staff"]:
        assert _local_times(entry)[0] == "09:00"
        assert _local_times(entry)[-1] == "11:00"
        assert set(entry) == {"staff_id", "slots"}  # nothing personal


async def test_an_appointment_with_buffers_takes_its_time_away(
    client: httpx.AsyncClient, manager: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    service_id, stylists = await _setup(client, manager, buffer_after_minutes=15)
    async with transaction(db) as session:
        offering = await session.get_one(Service, uuid.UUID(service_id))
        stylist = await session.get_one(User, uuid.UUID(stylists[0]))
        person = await factories.customer(session)
        session.add(
            factories.appointment(
                staff=stylist, client=person, offering=offering,
                start=datetime(2026, 12, 1, 10, tzinfo=UTC),  # 11:00 Paris
            )
        )  # fmt: skip
    params = {"service_id": service_id, "staff_id": stylists[0], **WINDOW}
    [entry] = (await client.get(f"{API}/availability", params=params)).json()["staff"]
    # Busy 11:00-12:15 with its buffer; a new hour plus its own buffer must end by 11:00.
    assert _local_times(entry) == ["09:00", "09:15", "09:30", "09:45"]
    assert isinstance(person, Customer)


@pytest.mark.parametrize(
    "window",
    [
        {"from": "2026-12-01T00:00:00Z", "to": "2027-01-05T00:00:00Z"},  # > 31 days
        {"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"},  # backwards
        {"from": "2026-12-01T00:00:00", "to": "2026-12-02T00:00:00"},  # naive
        {"from": "2026-12-01T00:00:00Z"},  # no end
    ],
)
async def test_bad_windows_are_refused(
    client: httpx.AsyncClient, manager: Caller, window: dict[str, str]
) -> None:
    service_id, _ = await _setup(client, manager)
    response = await client.get(f"{API}/availability", params={"service_id": service_id, **window})
    assert response.status_code == 422, response.text


async def test_an_inactive_or_unknown_service_has_no_availability(
    client: httpx.AsyncClient, manager: Caller
) -> None:
    service_id, _ = await _setup(client, manager)
    await client.patch(
        f"{API}/services/{service_id}", headers=manager.headers, json={"is_active": False}
    )
    response = await client.get(f"{API}/availability", params={"service_id": service_id, **WINDOW})
    assert response.status_code == 404
