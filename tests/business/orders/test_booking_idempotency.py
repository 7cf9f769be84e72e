"""SECURITY.md 20 on POST /bookings: replay, 422 on another body, 409 while in flight."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.scheduling.models import Appointment
from frontdesk.core import idempotency
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from tests.business.orders.test_booking import API, _body, _salon
from tests.security.audit.callers import Caller, signed_in


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(datetime(2026, 11, 28, 12, tzinfo=UTC))
    return await signed_in(app, db, role="admin")


def _with_key(caller: Caller, key: str) -> dict[str, str]:
    return {**caller.headers, "Idempotency-Key": key}


async def _appointments(db: async_sessionmaker[AsyncSession]) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(Appointment)) or 0


async def test_a_retry_with_the_same_key_replays_the_first_answer(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    salon = await _salon(client, admin)
    headers = _with_key(admin, "booking-7f3a")
    first = await client.post(f"{API}/bookings", headers=headers, json=_body(salon))
    again = await client.post(f"{API}/bookings", headers=headers, json=_body(salon))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await _appointments(db) == 1


async def test_the_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    salon = await _salon(client, admin)
    headers = _with_key(admin, "booking-7f3a")
    await client.post(f"{API}/bookings", headers=headers, json=_body(salon))
    later = {**_body(salon), "start": "2026-12-01T10:00:00+01:00"}
    refused = await client.post(f"{API}/bookings", headers=headers, json=later)
    assert refused.status_code == 422
    assert refused.json()["code"] == "idempotency_key_reused"
    assert await _appointments(db) == 1


async def test_keys_belong_to_their_caller(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    salon = await _salon(client, admin)
    other = await signed_in(app, db, role="admin")
    first = await client.post(f"{API}/bookings", headers=_with_key(admin, "k1"), json=_body(salon))
    second = await client.post(f"{API}/bookings", headers=_with_key(other, "k1"), json=_body(salon))
    assert (first.status_code, second.status_code) == (201, 201)
    assert await _appointments(db) == 2


async def test_a_failed_request_gives_its_key_back(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    salon = await _salon(client, admin, stylists=1)
    await client.post(f"{API}/bookings", headers=admin.headers, json=_body(salon))
    headers = _with_key(admin, "retry-me")
    taken = await client.post(f"{API}/bookings", headers=headers, json=_body(salon))
    assert taken.status_code == 409
    async with transaction(db) as session:
        await session.execute(update(Appointment).values(status="cancelled"))
    retried = await client.post(f"{API}/bookings", headers=headers, json=_body(salon))
    assert retried.status_code == 201, retried.text


async def test_a_key_still_in_flight_answers_409(db: async_sessionmaker[AsyncSession]) -> None:
    fingerprint = idempotency.fingerprint("POST", "/x", {"a": 1})
    claim = {"owner": "someone", "key": "k", "method": "POST", "path": "/x"}
    first = await idempotency.claim(db, **claim, request_fingerprint=fingerprint)
    assert isinstance(first, idempotency.Claim)
    with pytest.raises(idempotency.KeyInFlightError):
        await idempotency.claim(db, **claim, request_fingerprint=fingerprint)
    # Key order and spacing never make two bodies differ.
    assert idempotency.fingerprint("POST", "/x", {"b": 2, "a": 1}) == idempotency.fingerprint(
        "POST", "/x", {"a": 1, "b": 2}
    )


@pytest.mark.parametrize("key", ["", "has space", "del\x7fchar", "x" * 256])
async def test_a_malformed_key_is_refused(
    client: httpx.AsyncClient, admin: Caller, key: str, db: async_sessionmaker[AsyncSession]
) -> None:
    salon = await _salon(client, admin)
    response = await client.post(
        f"{API}/bookings", headers=_with_key(admin, key), json=_body(salon)
    )
    assert response.status_code == 422
    assert await _appointments(db) == 0
