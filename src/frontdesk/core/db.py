"""Engine, sessions and the declarative base shared by every domain.

One request = one :class:`AsyncSession`, committed once by :mod:`frontdesk.core.deps`.
Services only ``flush()``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, MetaData, Uuid, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry

from frontdesk.core import clock
from frontdesk.core.ids import new_id
from frontdesk.core.types import UTCDateTime

# Stable, predictable constraint names: migrations can drop them, errors can be mapped.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Execution option that marks a session as a writer; on SQLite it makes the
# transaction start with BEGIN IMMEDIATE so it holds the write lock from the start.
WRITE_OPTION = "frontdesk_write"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)


class Timestamps(CreatedAt):
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=clock.now, onupdate=clock.now, nullable=False
    )


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """CHECK that a status-like text column holds one of ``values``."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_valid")


def dialect_insert(dialect_name: str, table: Any) -> Any:
    """An INSERT that takes ``ON CONFLICT`` clauses; PostgreSQL and SQLite spell them alike."""
    insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    return insert(table)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An engine for ``postgresql+asyncpg://`` or ``sqlite+aiosqlite://``."""
    if is_sqlite(url):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    # A fixed pool: overflow connections that open and close under load cost ~30-40%.
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=0, pool_pre_ping=False
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control from the driver so BEGIN is ours to issue.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred BEGIN that later writes can deadlock with another writer
        # (SQLITE_BUSY on upgrade); writers take the lock up front instead.
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def autocommit_reader(engine: AsyncEngine) -> AsyncEngine:
    """The same pool, for hot read-only paths that need no transaction.

    On PostgreSQL a BEGIN/ROLLBACK pair around a single read costs ~25% of a simple
    request; AUTOCOMMIT skips it. SQLite keeps its deferred BEGIN, which is free.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def open_session(sessionmaker: async_sessionmaker[AsyncSession], *, write: bool) -> AsyncSession:
    options = {WRITE_OPTION: True} if write else {}
    return sessionmaker(execution_options=options)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession], *, write: bool = True
) -> AsyncIterator[AsyncSession]:
    """A unit of work outside a request (CLI, jobs, own-transaction audit rows)."""
    async with open_session(sessionmaker, write=write) as session, session.begin():
        yield session


@asynccontextmanager
async def write_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A short Core write transaction outside any session (hot-path bookkeeping)."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(**{WRITE_OPTION: True})
        async with conn.begin():
            yield conn
