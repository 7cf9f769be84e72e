"""Driver units (core/fastsql.py): same results as SQLAlchemy, same type rules, real
transactions."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import bindparam, insert, literal, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import QueuePool

from frontdesk.core.db import create_engine
from frontdesk.core.fastsql import (
    DriverSQL,
    DriverStatement,
    driver_connection,
    release_warm_connections,
    warm_connections,
)
from frontdesk.core.ids import new_id
from frontdesk.security.auth.models import RateLimitLog

_NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)

_INSERT = DriverStatement(
    insert(RateLimitLog).values(
        id=bindparam("id"),
        identifier=bindparam("identifier"),
        # A value fixed in the statement is a parameter too, filled in by the unit.
        action=literal("fastsql"),
        attempts=bindparam("attempts"),
        window_started_at=bindparam("at"),
        created_at=bindparam("at"),
        updated_at=bindparam("at"),
    )
)
_READ = DriverStatement(
    select(RateLimitLog.identifier, RateLimitLog.action, RateLimitLog.attempts).where(
        RateLimitLog.id == bindparam("id")
    )
)


async def _insert(engine: AsyncEngine, row_id: uuid.UUID, at: datetime) -> None:
    async with driver_connection(engine, transaction=True) as conn:
        await conn.fetch(_INSERT, id=row_id, identifier=f"ip:{row_id}", attempts=2, at=at)


async def test_a_unit_commits_what_it_wrote(engine: AsyncEngine, db: object) -> None:
    row_id = new_id()
    await _insert(engine, row_id, _NOW)
    async with driver_connection(engine, transaction=False) as conn:
        row = await conn.fetchrow(_READ, id=row_id)
    assert row is not None
    assert dict(row) == {"identifier": f"ip:{row_id}", "action": "fastsql", "attempts": 2}


async def test_a_failed_unit_writes_nothing(
    engine: AsyncEngine, db: async_sessionmaker[AsyncSession]
) -> None:
    row_id = new_id()

    async def write_then_fail() -> None:
        async with driver_connection(engine, transaction=True) as conn:
            await conn.fetch(_INSERT, id=row_id, identifier="ip:x", attempts=1, at=_NOW)
            raise RuntimeError("after the write")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    async with db() as session:
        assert await session.get(RateLimitLog, row_id) is None


async def test_column_types_convert_as_sqlalchemy_does(engine: AsyncEngine, db: object) -> None:
    """UTCDateTime refuses a naive datetime on every engine, driver or not."""
    # SQLAlchemy wraps the type's ValueError in its StatementError; the driver does not.
    with pytest.raises((ValueError, StatementError), match="naive"):
        await _insert(engine, new_id(), _NOW.replace(tzinfo=None))
    row_id = new_id()
    await _insert(engine, row_id, _NOW.astimezone(timezone(timedelta(hours=2))))
    async with driver_connection(engine, transaction=False) as conn:
        row = await conn.fetchrow(
            DriverStatement(
                select(RateLimitLog.created_at).where(RateLimitLog.id == bindparam("id"))
            ),
            id=row_id,
        )
    assert row is not None
    assert row["created_at"] == _NOW


def test_python_side_defaults_are_refused_when_compiled() -> None:
    """``updated_at`` has ``onupdate=clock.now``: only SQLAlchemy can fill that in."""
    statement = update(RateLimitLog).values(attempts=bindparam("attempts"))
    with pytest.raises(ValueError, match="updated_at"):
        DriverSQL(postgresql.asyncpg.dialect(), statement)


def test_parameters_are_laid_out_in_the_statement_order() -> None:
    statement = select(RateLimitLog.id).where(
        RateLimitLog.attempts > bindparam("low"),
        RateLimitLog.attempts < bindparam("high"),
        RateLimitLog.action == literal("login"),
    )
    sql = DriverSQL(postgresql.asyncpg.dialect(), statement)
    assert "$1" in sql.sql
    assert "$3" in sql.sql
    assert sql.arguments({"high": 9, "low": 2}) == [2, 9, "login"]


@pytest.fixture
async def small_pool(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A pool of 8 of its own: a quarter of it, 2 connections, may stay warm."""
    if not database_url.startswith("postgresql"):
        pytest.skip("warm connections serve the PostgreSQL driver path")
    engine = create_engine(database_url, pool_size=8)
    yield engine
    await release_warm_connections(engine)
    await engine.dispose()


def _checked_out(engine: AsyncEngine) -> int:
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


async def test_warm_connections_are_reused_and_bounded(small_pool: AsyncEngine) -> None:
    warm = warm_connections(small_pool)
    assert warm.limit == 2
    async with warm.lease() as (_conn, first):
        pass
    async with warm.lease() as (_conn, again):
        assert again is first  # no checkout: the same connection, kept warm
    release, all_leased = asyncio.Event(), asyncio.Event()
    leased = 0

    async def hold() -> None:
        nonlocal leased
        async with warm.lease() as (_conn, driver):
            await driver.fetchval("SELECT 1")
            leased += 1
            if leased == 5:
                all_leased.set()
            await release.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(5)]
    await asyncio.wait_for(all_leased.wait(), timeout=10)
    assert _checked_out(small_pool) == 5
    release.set()
    await asyncio.gather(*tasks)
    assert _checked_out(small_pool) == 2  # the rest went back to the pool
    await release_warm_connections(small_pool)
    assert _checked_out(small_pool) == 0


async def test_a_failed_unit_never_hands_its_connection_out_again(
    small_pool: AsyncEngine,
) -> None:
    warm = warm_connections(small_pool)

    async def fail_on_the_connection() -> Any:
        async with warm.lease() as (_conn, driver):
            await driver.fetchval("SELECT 1")
            raise RuntimeError("mid-unit")
        return driver  # never reached

    with pytest.raises(RuntimeError):
        await fail_on_the_connection()
    assert _checked_out(small_pool) == 0
    async with warm.lease() as (_conn, driver):
        assert await driver.fetchval("SELECT 2") == 2
