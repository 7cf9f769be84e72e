"""SECURITY.md 6 under parallel requests: attempts are counted before the password check,
so N simultaneous guesses against one account cannot all slip past the block."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.app import create_app
from frontdesk.core.clock import FrozenClock
from frontdesk.security.audit.models import AuditLog
from frontdesk.security.auth import passwords
from frontdesk.security.auth.models import RateLimitLog, SessionLog
from tests.conftest import make_settings
from tests.security.accounts import STRONG_PASSWORD, make_user

LOGIN = "/api/v1/auth/login"
PARALLEL = 20
MAX_FAILURES = 5


@pytest.fixture
def app(database_url: str, engine: AsyncEngine, db: Any) -> FastAPI:
    # Room above the per-IP request throttle: every request reaches the login code.
    settings = make_settings(
        database_url, login_max_failures=MAX_FAILURES, auth_requests_per_minute=1000
    )
    return create_app(settings, engine=engine)


class CountingHasher:
    """Counts verify calls of the real hasher (SECURITY.md 5: counted, not timed)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.verifies = 0

    def verify(self, hashed: str, password: str) -> bool:
        self.verifies += 1
        result: bool = self.real.verify(hashed, password)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher(passwords.HASHER)
    monkeypatch.setattr(passwords, "HASHER", counting)
    return counting


async def _attempt(client: httpx.AsyncClient, password: str) -> httpx.Response:
    return await client.post(LOGIN, json={"identifier": "target", "password": password})


async def _ledger(db: async_sessionmaker[AsyncSession], key: str) -> RateLimitLog | None:
    async with db() as session:
        row: RateLimitLog | None = await session.scalar(
            select(RateLimitLog).where(RateLimitLog.identifier == key)
        )
        return row


async def test_parallel_wrong_passwords_count_exactly_up_to_the_block(
    db: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    clock: FrozenClock,
    hasher: CountingHasher,
) -> None:
    user = await make_user(db, "target")
    responses = await asyncio.gather(
        *(_attempt(client, f"wrong-password-{n:03}") for n in range(PARALLEL))
    )
    assert [r.status_code for r in responses] == [401] * PARALLEL
    assert len({r.json()["code"] for r in responses}) == 1
    assert hasher.verifies == PARALLEL  # refused attempts still run the hasher once

    account = await _ledger(db, "login:target")
    assert account is not None
    assert account.attempts == MAX_FAILURES
    assert account.blocked_until is not None
    until = account.blocked_until
    ip_row = await _ledger(db, "ip:127.0.0.1")
    assert ip_row is not None
    assert ip_row.attempts == MAX_FAILURES

    # Every refused request is still recorded, once, and not counted a second time.
    async with db() as session:
        audits = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "auth.login"))
        ).all()
        session_logs = await session.scalar(
            select(func.count()).select_from(SessionLog).where(SessionLog.user_id == user.id)
        )
    reasons = [row.details["reason"] for row in audits if row.details]
    assert sorted(reasons) == sorted(
        ["wrong_password"] * MAX_FAILURES + ["locked"] * (PARALLEL - MAX_FAILURES)
    )
    assert session_logs == PARALLEL

    # The right password is refused, uncounted, until the block ends; then it works.
    assert (await _attempt(client, STRONG_PASSWORD)).status_code == 401
    clock.set(until - (until - clock.now()) / 2)
    assert (await _attempt(client, STRONG_PASSWORD)).status_code == 401
    still = await _ledger(db, "login:target")
    assert still is not None
    assert (still.attempts, still.blocked_until) == (MAX_FAILURES, until)
    clock.set(until)
    assert (await _attempt(client, STRONG_PASSWORD)).status_code == 200
    assert await _ledger(db, "login:target") is None
    ip_after = await _ledger(db, "ip:127.0.0.1")
    assert ip_after is not None
    assert ip_after.attempts == MAX_FAILURES  # the success refunded its own attempt


async def test_parallel_wrong_passwords_for_an_unknown_account_are_bounded_too(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    responses = await asyncio.gather(
        *(
            client.post(LOGIN, json={"identifier": "Nobody@Example.com", "password": "x" * 12})
            for _ in range(PARALLEL)
        )
    )
    assert {r.status_code for r in responses} == {401}
    account = await _ledger(db, "login:nobody@example.com")
    assert account is not None
    assert account.attempts == MAX_FAILURES
    assert account.blocked_until is not None
