"""SECURITY.md 17 across processes: two real server processes on one database, 24
overlapping bookings for one staff member over real TCP connections at once: exactly one
201, every other a 409, one appointment in the database. On both engines: PostgreSQL's
exclusion constraint, and SQLite's triggers under BEGIN IMMEDIATE, which locks the file
across processes too.

The servers run on the real clock, so the test does too: the slot is three days from
now, in the business's time zone.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.scheduling.models import Appointment
from tests.business.orders.test_booking import API, _body, _salon
from tests.conftest import TEST_SECRET
from tests.security.audit.callers import signed_in
from tests.smtp import free_port

SERVERS = 2
CONCURRENT = 24
STARTUP_SECONDS = 30.0


@contextmanager
def _server(database_url: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "FRONTDESK_DATABASE_URL": database_url,
        "FRONTDESK_SECRET_KEY": TEST_SECRET,
        "FRONTDESK_ENVIRONMENT": "dev",
        "FRONTDESK_LOG_LEVEL": "WARNING",
    }
    env.pop("FRONTDESK_REDIS_URL", None)
    command = [sys.executable, "-m", "frontdesk", "serve", "--host", "127.0.0.1"]
    process = subprocess.Popen(  # noqa: S603 (a fixed command: this interpreter, frontdesk)
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _until_ready(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as probe:
        for _ in range(int(STARTUP_SECONDS / 0.1)):
            try:
                if (await probe.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)  # waiting for a process to start, not for time to pass
    raise AssertionError(f"the server at {base_url} did not start")


@pytest.fixture
async def servers(database_url: str) -> AsyncIterator[list[str]]:
    with _server(database_url) as first, _server(database_url) as second:
        await asyncio.gather(_until_ready(first), _until_ready(second))
        yield [first, second]


async def test_two_server_processes_book_a_slot_exactly_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    servers: list[str],
) -> None:
    admin = await signed_in(app, db, role="admin")
    salon = await _salon(client, admin, stylists=1)
    paris = ZoneInfo("Europe/Paris")
    day = (datetime.now(paris) + timedelta(days=3)).date()
    starts = [datetime.combine(day, time(9, minute), paris).isoformat() for minute in (0, 15, 30)]
    bodies = [_body(salon, salon["staff"][0], starts[n % 3]) for n in range(CONCURRENT)]
    # One client per server, with a connection for every request: all 24 are in flight
    # at once, half on each process.
    limits = httpx.Limits(max_connections=CONCURRENT)
    clients = [httpx.AsyncClient(base_url=url, limits=limits, timeout=30) for url in servers]
    try:
        responses = await asyncio.gather(
            *(
                clients[n % SERVERS].post(f"{API}/bookings", headers=admin.headers, json=body)
                for n, body in enumerate(bodies)
            )
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    outcomes = Counter(
        (response.status_code, response.json().get("code")) for response in responses
    )
    assert outcomes == {(201, None): 1, (409, "booking_conflict"): CONCURRENT - 1}, outcomes
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 1
