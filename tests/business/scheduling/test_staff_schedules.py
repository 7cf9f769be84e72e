"""Staff schedules: services performed, weekly hours, time off and closures."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.scheduling.models import StaffWorkingHours
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.security.audit.models import AuditLog
from tests import factories
from tests.security.audit.callers import Caller, signed_in

API = "/api/v1"
WEEK = [
    {"weekday": 1, "start_time": "09:00", "end_time": "12:30"},
    {"weekday": 1, "start_time": "13:30", "end_time": "18:00"},
    {"weekday": 6, "start_time": "10:00", "end_time": "14:00"},
]


@pytest.fixture
async def manager(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    return await signed_in(app, db, role="manager")


@pytest.fixture
async def stylist(app: FastAPI, db: async_sessionmaker[AsyncSession], manager: Caller) -> Caller:
    return await signed_in(app, db, role="staff")


async def _service(client: httpx.AsyncClient, manager: Caller, name: str) -> str:
    body = {"name": name, "duration_minutes": 30, "price": "20"}
    response = await client.post(f"{API}/services", headers=manager.headers, json=body)
    assert response.status_code == 201, response.text
    service_id: str = response.json()["id"]
    return service_id


async def test_a_manager_sets_the_services_a_staff_member_performs(
    client: httpx.AsyncClient, manager: Caller, stylist: Caller
) -> None:
    cut, colour = await _service(client, manager, "Cut"), await _service(client, manager, "Colour")
    url = f"{API}/staff/{stylist.user_id}/services"
    twice = {"service_ids": [cut, colour, cut]}
    response = await client.put(url, headers=manager.headers, json=twice)
    assert response.status_code == 200, response.text
    assert sorted(response.json()["service_ids"]) == sorted([cut, colour])
    replaced = await client.put(url, headers=manager.headers, json={"service_ids": [colour]})
    assert replaced.json()["service_ids"] == [colour]
    # The staff member reads it (schedules:read).
    assert (await client.get(url, headers=stylist.headers)).json()["service_ids"] == [colour]


async def test_unknown_services_or_people_change_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    manager: Caller,
    stylist: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    cut = await _service(client, manager, "Cut")
    url = f"{API}/staff/{stylist.user_id}/services"
    await client.put(url, headers=manager.headers, json={"service_ids": [cut]})
    unknown = "00000000-0000-0000-0000-0000000000aa"
    refused = await client.put(url, headers=manager.headers, json={"service_ids": [cut, unknown]})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["path"] == "body.service_ids"
    assert (await client.get(url, headers=manager.headers)).json()["service_ids"] == [cut]
    async with transaction(db) as session:
        account = await factories.user(session)
        account.is_customer = True
    for person in (account.id, "00000000-0000-0000-0000-0000000000bb"):
        not_staff = await client.put(
            f"{API}/staff/{person}/services", headers=manager.headers, json={"service_ids": []}
        )
        assert not_staff.status_code == 404


async def test_weekly_hours_replace_the_whole_week_and_are_audited(
    client: httpx.AsyncClient,
    manager: Caller,
    stylist: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    url = f"{API}/staff/{stylist.user_id}/hours"
    response = await client.put(url, headers=manager.headers, json={"ranges": WEEK})
    assert response.status_code == 200, response.text
    ranges = response.json()["ranges"]
    assert [(r["weekday"], r["start_time"], r["end_time"]) for r in ranges] == [
        (1, "09:00:00", "12:30:00"),
        (1, "13:30:00", "18:00:00"),
        (6, "10:00:00", "14:00:00"),
    ]
    shorter = [{"weekday": 2, "start_time": "08:00", "end_time": "16:00"}]
    await client.put(url, headers=manager.headers, json={"ranges": shorter})
    assert len((await client.get(url, headers=stylist.headers)).json()["ranges"]) == 1
    async with db() as session:
        rows = list(
            await session.scalars(
                select(AuditLog)
                .where(AuditLog.action == "staff.hours_set")
                .order_by(AuditLog.sequence)
            )
        )
    assert rows[-1].details == {
        "before": ["1 09:00-12:30", "1 13:30-18:00", "6 10:00-14:00"],
        "after": ["2 08:00-16:00"],
    }


@pytest.mark.parametrize(
    "ranges",
    [
        [{"weekday": 1, "start_time": "09:00", "end_time": "12:00"},
         {"weekday": 1, "start_time": "11:00", "end_time": "15:00"}],  # overlap
        [{"weekday": 1, "start_time": "12:00", "end_time": "09:00"}],  # backwards
        [{"weekday": 8, "start_time": "09:00", "end_time": "12:00"}],
        [{"weekday": 1, "start_time": "09:00+02:00", "end_time": "12:00+02:00"}],
        [{"weekday": 1, "start_time": "nine", "end_time": "12:00"}],
    ],
)  # fmt: skip
async def test_bad_hours_are_refused_and_change_nothing(
    client: httpx.AsyncClient, manager: Caller, stylist: Caller, ranges: list[dict[str, Any]]
) -> None:
    url = f"{API}/staff/{stylist.user_id}/hours"
    await client.put(url, headers=manager.headers, json={"ranges": WEEK})
    refused = await client.put(url, headers=manager.headers, json={"ranges": ranges})
    assert refused.status_code == 422, refused.text
    assert len((await client.get(url, headers=manager.headers)).json()["ranges"]) == 3


async def test_concurrent_week_replacements_never_double_the_week(
    client: httpx.AsyncClient,
    manager: Caller,
    stylist: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    url = f"{API}/staff/{stylist.user_id}/hours"
    responses = await asyncio.gather(
        *(client.put(url, headers=manager.headers, json={"ranges": WEEK}) for _ in range(6))
    )
    assert {response.status_code for response in responses} == {200}
    async with db() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(StaffWorkingHours)
            .where(StaffWorkingHours.user_id == stylist.user_id)
        )
    assert count == len(WEEK)


async def test_time_off_and_closures(
    client: httpx.AsyncClient, manager: Caller, stylist: Caller
) -> None:
    url = f"{API}/staff/{stylist.user_id}/time-off"
    holiday = {"starts_at": "2026-12-24T00:00:00+01:00", "ends_at": "2026-12-27T00:00:00+01:00"}
    created = await client.post(url, headers=manager.headers, json={**holiday, "reason": "Holiday"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["starts_at"] == "2026-12-23T23:00:00Z"
    window = {"from": "2026-12-25T00:00:00Z", "to": "2026-12-26T00:00:00Z"}
    listed = await client.get(url, headers=stylist.headers, params=window)
    assert [item["id"] for item in listed.json()] == [body["id"]]
    outside = {"from": "2027-01-01T00:00:00Z"}
    assert (await client.get(url, headers=stylist.headers, params=outside)).json() == []
    closure = await client.post(f"{API}/closures", headers=manager.headers, json=holiday)
    assert closure.status_code == 201
    assert closure.json()["user_id"] is None
    # A closure is not one person's time off, and the other way round.
    wrong_owner = await client.delete(f"{url}/{closure.json()['id']}", headers=manager.headers)
    assert wrong_owner.status_code == 404
    assert (await client.delete(f"{url}/{body['id']}", headers=manager.headers)).status_code == 204
    assert (await client.get(url, headers=manager.headers)).json() == []
    removed = await client.delete(f"{API}/closures/{closure.json()['id']}", headers=manager.headers)
    assert removed.status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        {"starts_at": "2026-12-24T10:00:00Z", "ends_at": "2026-12-24T09:00:00Z"},
        {"starts_at": "2026-12-24T10:00:00", "ends_at": "2026-12-24T11:00:00"},  # naive
        {"starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-06-01T00:00:00Z"},  # too long
    ],
)
async def test_bad_time_off_is_refused(
    client: httpx.AsyncClient, manager: Caller, stylist: Caller, body: dict[str, str]
) -> None:
    url = f"{API}/staff/{stylist.user_id}/time-off"
    assert (await client.post(url, headers=manager.headers, json=body)).status_code == 422
    assert (await client.get(url, headers=manager.headers)).json() == []


async def test_staff_read_schedules_but_only_managers_change_them(
    client: httpx.AsyncClient, manager: Caller, stylist: Caller
) -> None:
    url = f"{API}/staff/{stylist.user_id}/hours"
    denied = await client.put(url, headers=stylist.headers, json={"ranges": WEEK})
    assert denied.status_code == 403
    assert denied.json()["permission"] == "schedules:manage"
    assert (await client.get(url)).status_code == 401
