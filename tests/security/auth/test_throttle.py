"""The brute-force ledger (SECURITY.md 6): counts, escalation, cap, reset, concurrency."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core import clock as clock_module
from frontdesk.core.clock import FrozenClock
from frontdesk.core.config import Settings
from frontdesk.core.db import open_session
from frontdesk.core.pagination import InvalidCursorError
from frontdesk.security.auth import throttle
from frontdesk.security.auth.models import RateLimitLog
from tests.conftest import make_settings

IP = "203.0.113.9"
USER = "Alice@Example.com"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


async def _fail(
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    identifier: str = USER,
    ip: str | None = IP,
) -> None:
    """One failed login, committed in its own transaction as the login route will."""
    async with open_session(db, write=True) as session:
        await throttle.record_failure(
            session, identifier=identifier, ip=ip, settings=settings, now=clock_module.now()
        )
        await session.commit()


async def _blocked(
    db: async_sessionmaker[AsyncSession], *, identifier: str = USER, ip: str | None = IP
) -> datetime | None:
    async with open_session(db, write=False) as session:
        return await throttle.login_blocked(
            session, identifier=identifier, ip=ip, now=clock_module.now()
        )


async def _row(db: async_sessionmaker[AsyncSession], key: str) -> RateLimitLog | None:
    async with open_session(db, write=False) as session:
        row: RateLimitLog | None = await session.scalar(
            select(RateLimitLog).where(RateLimitLog.identifier == key)
        )
        return row


async def test_below_threshold_is_not_blocked(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    for _ in range(settings.login_max_failures - 1):
        await _fail(db, settings)
    assert await _blocked(db) is None
    row = await _row(db, "login:alice@example.com")
    assert row is not None
    assert (row.attempts, row.action, row.blocked_until) == (4, "login", None)


async def test_threshold_blocks_the_normalized_account(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    for _ in range(settings.login_max_failures):
        await _fail(db, settings, ip=None)
    until = clock.now() + timedelta(seconds=settings.login_wait_increment_seconds)
    # Any spelling of the identifier, from any address, meets the same block.
    assert await _blocked(db, identifier="  ALICE@example.COM ", ip="198.51.100.1") == until
    clock.set(until - timedelta(seconds=1))
    assert await _blocked(db) == until
    clock.set(until)
    assert await _blocked(db) is None


async def test_escalation_grows_with_failures_and_is_capped(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, database_url: str
) -> None:
    settings = make_settings(
        database_url,
        login_max_failures=2,
        login_wait_increment_seconds=60,
        login_max_wait_seconds=150,
    )
    waits = []
    for _ in range(8):
        until = await _blocked(db, ip=None)
        if until is not None:
            clock.set(until)  # the attacker retries the moment the block ends
        await _fail(db, settings, ip=None)
        until = await _blocked(db, ip=None)
        waits.append(int((until - clock.now()).total_seconds()) if until else 0)
    assert waits == [0, 60, 60, 120, 120, 150, 150, 150]


def test_lockout_seconds_is_keycloak_style() -> None:
    settings = Settings(
        _env_file=None,
        login_wait_increment_seconds=60,
        login_max_wait_seconds=900,
    )
    waits = [throttle.lockout_seconds(n, threshold=5, settings=settings) for n in range(1, 101)]
    assert waits[:4] == [0, 0, 0, 0]
    assert waits[4:10] == [60, 60, 60, 60, 60, 120]
    assert max(waits) == 900
    assert waits == sorted(waits)


async def test_window_restarts_after_the_reset_time(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    start = clock.now()
    for _ in range(settings.login_max_failures - 1):
        await _fail(db, settings, ip=None)
        clock.advance(timedelta(minutes=1))
    clock.set(start + timedelta(seconds=settings.login_failure_reset_seconds))
    await _fail(db, settings, ip=None)
    assert await _blocked(db, ip=None) is None
    row = await _row(db, "login:alice@example.com")
    assert row is not None
    assert (row.attempts, row.window_started_at) == (1, clock.now())


async def test_success_resets_the_account_but_not_the_ip(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    for _ in range(settings.login_max_failures):
        await _fail(db, settings)
    async with open_session(db, write=True) as session:
        await throttle.record_success(session, identifier="ALICE@example.com", now=clock.now())
        await session.commit()
    assert await _row(db, "login:alice@example.com") is None
    ip_row = await _row(db, "ip:" + IP)
    assert ip_row is not None
    assert ip_row.attempts == settings.login_max_failures
    assert await _blocked(db) is None


async def test_ip_block_is_independent_of_the_account(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, database_url: str
) -> None:
    settings = make_settings(database_url, ip_max_failures=3, login_max_failures=10)
    for number in range(3):
        await _fail(db, settings, identifier=f"user{number}")
    until = clock.now() + timedelta(seconds=settings.login_wait_increment_seconds)
    assert await _blocked(db, identifier="someone-new") == until
    assert await _blocked(db, identifier="someone-new", ip="198.51.100.1") is None
    assert await _blocked(db, identifier="user0", ip=None) is None


async def test_at_most_100_failures_in_any_hour(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    """An attacker on ever new addresses retries the instant each block ends, for 13 h
    (past one window reset); no hour may hold more than 100 recorded failures."""
    end = clock.now() + timedelta(hours=13)
    failures: list[datetime] = []
    while clock.now() < end:
        ip = f"10.0.{len(failures) // 250}.{len(failures) % 250}"
        until = await _blocked(db, ip=ip)
        if until is not None:
            clock.set(until)
            continue
        await _fail(db, settings, ip=ip)
        failures.append(clock.now())
    busiest = max(sum(1 for t in failures if s <= t < s + timedelta(hours=1)) for s in failures)
    assert settings.login_max_failures < busiest <= 100
    assert busiest <= throttle.max_failures_per_hour(settings) <= 100


async def test_concurrent_failures_both_count(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    """Two sessions insert the same new rows at once: the second waits, then counts."""
    async with open_session(db, write=True) as first, open_session(db, write=True) as second:
        await throttle.record_failure(
            first, identifier=USER, ip=IP, settings=settings, now=clock.now()
        )

        async def second_failure() -> None:
            await throttle.record_failure(
                second, identifier=USER, ip=IP, settings=settings, now=clock.now()
            )
            await second.commit()

        racing = asyncio.create_task(second_failure())
        done, _ = await asyncio.wait({racing}, timeout=0.3)
        assert not done, "the second writer should wait for the first one's rows"
        await first.commit()
        await racing
    for key in ("login:alice@example.com", "ip:" + IP):
        row = await _row(db, key)
        assert row is not None
        assert row.attempts == 2


async def test_overlong_identifiers_are_hashed_to_fit(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    identifier = "x" * 400 + "@example.com"
    for _ in range(settings.login_max_failures):
        await _fail(db, settings, identifier=identifier, ip=None)
    assert await _blocked(db, identifier=identifier.upper(), ip=None) is not None
    assert len(throttle.account_key(identifier)) <= 255


async def _list(db: async_sessionmaker[AsyncSession], **kwargs: Any) -> Any:
    async with open_session(db, write=False) as session:
        rows, cursor = await throttle.list_blocks(session, now=clock_module.now(), **kwargs)
        return [throttle.RateLimitRead.model_validate(row) for row in rows], cursor


async def test_list_blocks_pages_active_blocks(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    for name in ("a", "b", "c"):
        for _ in range(settings.login_max_failures):
            await _fail(db, settings, identifier=name, ip=None)
    await _fail(db, settings, identifier="only-once", ip=None)
    first, cursor = await _list(db, limit=2)
    assert [row.identifier for row in first] == ["login:c", "login:b"]
    rest, last_cursor = await _list(db, limit=2, cursor=cursor)
    assert ([row.identifier for row in rest], last_cursor) == (["login:a"], None)
    everything, _ = await _list(db, limit=10, active_only=False)
    assert len(everything) == 4
    clock.advance(timedelta(hours=1))
    assert await _list(db, limit=10) == ([], None)
    with pytest.raises(InvalidCursorError):
        await _list(db, limit=2, cursor="not-a-cursor!")


async def test_clear_block_unblocks(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    for _ in range(settings.login_max_failures):
        await _fail(db, settings, ip=None)
    (row,), _ = await _list(db, limit=10)
    async with open_session(db, write=True) as session:
        assert await throttle.clear_block(session, row.id) is True
        assert await throttle.clear_block(session, uuid.uuid4()) is False
        await session.commit()
    assert await _blocked(db, ip=None) is None
