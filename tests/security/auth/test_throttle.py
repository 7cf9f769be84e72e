"""The brute-force ledger (SECURITY.md 6): admission, counts, escalation, cap, reset,
refunds, concurrency."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.core import clock as clock_module
from frontdesk.core.clock import FrozenClock
from frontdesk.core.config import Settings
from frontdesk.core.db import open_session
from frontdesk.core.fastsql import driver_connection
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
) -> bool:
    """One failed login: an attempt admitted (counted) and never followed by a success,
    committed in its own transaction as the login route does. ``False``: refused."""
    return await throttle.admit_attempt(
        engine_of(db), identifier=identifier, ip=ip, settings=settings, now=clock_module.now()
    )


def engine_of(db: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    engine: AsyncEngine = db.kw["bind"]
    return engine


async def _succeed(
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    identifier: str = USER,
    ip: str | None = IP,
) -> None:
    """The success after an admitted attempt, committed as the login request does."""
    async with driver_connection(engine_of(db), transaction=True) as conn:
        await throttle.record_success(
            conn, identifier=identifier, ip=ip, settings=settings, now=clock_module.now()
        )


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


async def test_success_resets_the_account_and_refunds_its_own_ip_attempt(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    failures = settings.login_max_failures - 1
    for _ in range(failures):
        assert await _fail(db, settings)
    # The right password: its attempt is counted first, then the success settles it.
    assert await throttle.admit_attempt(
        engine_of(db), identifier="ALICE@example.com", ip=IP, settings=settings, now=clock.now()
    )
    await _succeed(db, settings, identifier="ALICE@example.com")
    assert await _row(db, "login:alice@example.com") is None
    ip_row = await _row(db, "ip:" + IP)
    assert ip_row is not None
    assert ip_row.attempts == failures  # the IP row keeps the failures, not the success
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


async def test_blocked_account_refuses_without_counting(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    for _ in range(settings.login_max_failures):
        assert await _fail(db, settings)
    account = await _row(db, "login:alice@example.com")
    assert account is not None
    until = clock.now() + timedelta(seconds=settings.login_wait_increment_seconds)
    assert (account.attempts, account.blocked_until) == (settings.login_max_failures, until)
    # Refused on any address; neither the account row nor the IP rows move.
    assert not await _fail(db, settings)
    assert not await _fail(db, settings, ip="198.51.100.1")
    after = await _row(db, "login:alice@example.com")
    assert after is not None
    assert (after.attempts, after.blocked_until) == (settings.login_max_failures, until)
    ip_row = await _row(db, "ip:" + IP)
    assert ip_row is not None
    assert ip_row.attempts == settings.login_max_failures
    assert await _row(db, "ip:198.51.100.1") is None
    # The moment the block ends the next attempt is admitted and blocks again (escalation).
    clock.set(until)
    assert await _fail(db, settings)
    again = await _row(db, "login:alice@example.com")
    assert again is not None
    assert again.attempts == settings.login_max_failures + 1
    assert again.blocked_until == clock.now() + timedelta(
        seconds=settings.login_wait_increment_seconds
    )


async def test_blocked_ip_refuses_without_counting_the_account(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, database_url: str
) -> None:
    settings = make_settings(database_url, ip_max_failures=2, login_max_failures=10)
    assert await _fail(db, settings, identifier="first")
    assert await _fail(db, settings, identifier="second")
    assert not await _fail(db, settings, identifier="third")
    assert await _row(db, "login:third") is None  # rolled back with the refused IP row
    ip_row = await _row(db, "ip:" + IP)
    assert ip_row is not None
    assert ip_row.attempts == 2


async def test_a_refund_never_goes_below_zero(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    await _succeed(db, settings)  # no rows at all: nothing to refund
    assert await _row(db, "ip:" + IP) is None
    assert await _fail(db, settings)
    await _succeed(db, settings)
    await _succeed(db, settings)
    ip_row = await _row(db, "ip:" + IP)
    assert ip_row is not None
    assert ip_row.attempts == 0


async def test_a_refund_below_the_threshold_lifts_the_ip_block_it_caused(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, database_url: str
) -> None:
    settings = make_settings(database_url, ip_max_failures=3, login_max_failures=10)
    assert await _fail(db, settings, identifier="a")
    assert await _fail(db, settings, identifier="b")
    # The third attempt reaches the IP threshold and blocks the address ...
    assert await _fail(db, settings, identifier="owner")
    assert await _blocked(db, identifier="someone", ip=IP) is not None
    # ... but it was the owner's right password: the refund lifts the block.
    await _succeed(db, settings, identifier="owner")
    ip_row = await _row(db, "ip:" + IP)
    assert ip_row is not None
    assert (ip_row.attempts, ip_row.blocked_until) == (2, None)
    # Real failures that reach the threshold still block ...
    assert await _fail(db, settings, identifier="c")
    until = await _blocked(db, identifier="someone", ip=IP)
    assert until is not None
    # ... and a success past it refunds its attempt but keeps the block (4 - 1 >= 3).
    clock.set(until)
    assert await _fail(db, settings, identifier="d")
    await _succeed(db, settings, identifier="d")
    assert await _blocked(db, identifier="someone", ip=IP) is not None
    ip_row = await _row(db, "ip:" + IP)
    assert ip_row is not None
    assert ip_row.attempts == 3


async def test_parallel_attempts_on_one_account_count_exactly_up_to_the_block(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    """Many attempts at once, each in its own transaction and connection: exactly
    ``threshold`` are admitted, the rest see the block the last admitted one set."""
    results = await asyncio.gather(*(_fail(db, settings) for _ in range(8)))
    assert sum(results) == settings.login_max_failures
    for key in ("login:alice@example.com", "ip:" + IP):
        row = await _row(db, key)
        assert row is not None
        assert row.attempts == settings.login_max_failures
    assert await _blocked(db) is not None


async def test_parallel_attempts_on_a_new_row_all_count(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, database_url: str
) -> None:
    """Concurrent first inserts of the same rows: each waits for the other, then counts."""
    settings = make_settings(database_url, login_max_failures=100)
    assert all(await asyncio.gather(*(_fail(db, settings) for _ in range(8))))
    for key in ("login:alice@example.com", "ip:" + IP):
        row = await _row(db, key)
        assert row is not None
        assert row.attempts == 8


async def test_an_attempt_waits_for_a_writer_holding_the_row(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    """The counting upsert is serialized with any other write of the row."""
    assert await _fail(db, settings)
    async with open_session(db, write=True) as holder:
        await holder.execute(
            update(RateLimitLog)
            .where(RateLimitLog.identifier == "login:alice@example.com")
            .values(attempts=RateLimitLog.attempts + 10)
        )
        racing = asyncio.create_task(_fail(db, settings))
        done, _ = await asyncio.wait({racing}, timeout=0.3)
        assert not done, "the attempt should wait for the row's writer"
        await holder.commit()
        assert await racing  # 12 >= threshold: admitted, and it blocks the account
    row = await _row(db, "login:alice@example.com")
    assert row is not None
    assert row.attempts == 12
    assert row.blocked_until is not None


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


async def test_parallel_successes_and_attempts_never_deadlock(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, database_url: str
) -> None:
    """Counting and settling lock the account row before the IP row, every time (on
    PostgreSQL settling is one statement whose parts are ordered by a data dependency):
    a mix of both on the same rows, on real connections, always completes."""
    settings = make_settings(database_url, login_max_failures=100, ip_max_failures=100)

    async def sign_in() -> None:
        assert await _fail(db, settings)
        await _succeed(db, settings)

    await asyncio.wait_for(
        asyncio.gather(*(sign_in() if n % 2 else _fail(db, settings) for n in range(12))),
        timeout=30,
    )
    ip_row = await _row(db, "ip:" + IP)
    assert ip_row is not None
    # The six successes refunded their own attempts; the six failures stay counted.
    assert ip_row.attempts == 6
