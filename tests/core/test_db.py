"""The database core: SQLite pragmas, write locks, constraint names."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.catalog import metadata
from frontdesk.core.db import autocommit_reader, open_session


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(
    engine: AsyncEngine, engine_name: str, db: object
) -> None:
    if engine_name != "sqlite":
        pytest.skip("SQLite pragmas")
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1


def _try_write_lock(path: str) -> bool:
    """True when another connection can take the write lock right now."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


@pytest.fixture
def sqlite_path(engine_name: str, database_url: str) -> str:
    if engine_name != "sqlite":
        pytest.skip("SQLite locking")
    return database_url.split(":///", 1)[1]


async def test_sqlite_writer_holds_the_write_lock_from_its_first_statement(
    db: async_sessionmaker[AsyncSession], sqlite_path: str
) -> None:
    path = sqlite_path
    async with open_session(db, write=True) as writer:
        await writer.execute(text("SELECT 1"))  # a read only, yet the lock is already held
        assert not _try_write_lock(path)
    assert _try_write_lock(path)


async def test_sqlite_reader_does_not_take_the_write_lock(
    db: async_sessionmaker[AsyncSession], sqlite_path: str
) -> None:
    path = sqlite_path
    async with open_session(db, write=False) as reader:
        await reader.execute(text("SELECT count(*) FROM users"))
        assert _try_write_lock(path)


def test_every_constraint_and_index_name_fits_postgresql() -> None:
    names = [
        str(item.name)
        for table in metadata.tables.values()
        for item in (*table.constraints, *table.indexes)
        if item.name is not None
    ]
    assert names
    assert all(len(name) <= 63 for name in names), [n for n in names if len(n) > 63]


async def test_the_hot_read_path_skips_transactions_on_postgresql(
    engine: AsyncEngine, engine_name: str, db: object
) -> None:
    reader = autocommit_reader(engine)
    async with reader.connect() as conn:
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        if engine_name == "postgresql":
            sync = conn.sync_connection
            assert sync is not None
            assert sync.get_execution_options()["isolation_level"] == "AUTOCOMMIT"
        else:
            assert reader is engine  # SQLite keeps its cheap deferred BEGIN
