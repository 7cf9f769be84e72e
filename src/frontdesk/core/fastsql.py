"""Short write units on the driver, for the few statements every login runs.

A sign-in is CPU-bound next to its one Argon2 verify, and each statement through
SQLAlchemy's execution pipeline costs about three times the driver's own work. Here a
Core statement is compiled once for PostgreSQL and sent straight to asyncpg on a pooled
connection, in a transaction of the driver's own when asked; elsewhere the same
statement runs through SQLAlchemy (SQLite is in-process: its statements are cheap).

The column types' bind conversions are applied as SQLAlchemy would; the driver's errors
are not translated into SQLAlchemy's, so keep these units to statements whose failure
is a bug, not a constraint the API reports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import Pool, QueuePool

from frontdesk.core.db import WRITE_OPTION


class DriverSQL:
    """A statement's SQL text and how to lay out its positional parameters."""

    def __init__(self, dialect: Dialect, statement: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        prefetch = [*compiled.insert_prefetch, *compiled.update_prefetch]
        if prefetch:
            # Python-side defaults (``onupdate=clock.now``) are SQLAlchemy's to fill in.
            names = ", ".join(column.name for column in prefetch)
            raise ValueError(f"give these columns explicit values for the driver: {names}")
        self.sql: str = compiled.string
        self._order: tuple[str, ...] = tuple(compiled.positiontup or ())
        # Values fixed in the statement itself (``literal(...)``) are parameters too.
        self._fixed: dict[str, Any] = {
            name: value for name, value in compiled.params.items() if value is not None
        }
        # The column types' own conversions (aware-UTC checks, JSON text), as SQLAlchemy
        # would apply them; most types have none.
        self._processors: dict[str, Callable[[Any], Any]] = {}
        for name in self._order:
            bind_type = compiled.binds[name].type
            processor = bind_type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors[name] = processor

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        fixed, processors = self._fixed, self._processors
        values = []
        for name in self._order:
            value = params[name] if name in params else fixed[name]
            processor = processors.get(name)
            values.append(value if processor is None else processor(value))
        return values


class DriverStatement:
    """A Core statement, compiled on first use on PostgreSQL."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: DriverSQL | None = None

    def compiled(self, dialect: Dialect) -> DriverSQL:
        if self._compiled is None:
            self._compiled = DriverSQL(dialect, self.statement)
        return self._compiled


class DriverConnection:
    """Runs :class:`DriverStatement` s on one pooled connection."""

    def __init__(self, conn: AsyncConnection, driver: Any | None) -> None:
        self._conn = conn
        self._driver = driver  # asyncpg's connection on PostgreSQL, else None
        self.dialect_name: str = conn.dialect.name

    async def fetch(self, statement: DriverStatement, **params: Any) -> Sequence[Mapping[str, Any]]:
        if self._driver is None:
            result = await self._conn.execute(statement.statement, params)
            return [dict(row) for row in result.mappings()] if result.returns_rows else []
        compiled = statement.compiled(self._conn.dialect)
        records: Sequence[Mapping[str, Any]] = await self._driver.fetch(
            compiled.sql, *compiled.arguments(params)
        )
        return records

    async def fetchrow(self, statement: DriverStatement, **params: Any) -> Mapping[str, Any] | None:
        rows = await self.fetch(statement, **params)
        return rows[0] if rows else None


class _WarmConnections:
    """A few connections of one engine's pool kept checked out between driver units.

    Checking a connection out of SQLAlchemy's pool and back costs more CPU than the
    one-row read it is for (events, reset-on-return, a greenlet hop each way), and the
    hottest paths (the session lookup of every request) do exactly that. Up to a
    quarter of the pool stays leased here, idle, ready for the next unit; a unit that
    finds none checks one out the ordinary way, and one that ends while the list is
    full gives its connection back. A unit that fails discards its connection, so a
    broken or half-used one is never handed out again. Connections leased here are in
    the pool's count, so the pool never opens more than its size.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        pool = engine.sync_engine.pool
        self.limit = pool.size() // 4 if isinstance(pool, QueuePool) else 0
        self._idle: list[tuple[AsyncConnection, Any]] = []

    async def acquire(self) -> tuple[AsyncConnection, Any]:
        """(the SQLAlchemy connection, its asyncpg connection); hand it back with
        :meth:`give_back`, or :func:`discard` it after a failure."""
        if self._idle:
            return self._idle.pop()
        conn = await self._engine.connect()
        return conn, (await conn.get_raw_connection()).driver_connection

    async def give_back(self, conn: AsyncConnection, driver: Any) -> None:
        if len(self._idle) < self.limit:
            self._idle.append((conn, driver))
        else:
            await conn.close()

    @asynccontextmanager
    async def lease(self) -> AsyncIterator[tuple[AsyncConnection, Any]]:
        conn, driver = await self.acquire()
        try:
            yield conn, driver
        except BaseException:
            await discard(conn)
            raise
        await self.give_back(conn, driver)

    async def release(self) -> None:
        idle, self._idle = self._idle, []
        for conn, _driver in idle:
            await conn.close()


async def discard(conn: AsyncConnection) -> None:
    """Close ``conn`` for good: its state after a failure is not worth trusting."""
    with suppress(Exception):  # already failing; the pool has let it go
        await conn.invalidate()
        await conn.close()


# Per pool: the AUTOCOMMIT reader shares its engine's pool, and so its warm connections.
# Held until released: call release_warm_connections before disposing of an engine.
_WARM: dict[Pool, _WarmConnections] = {}


def warm_connections(engine: AsyncEngine) -> _WarmConnections:
    pool = engine.sync_engine.pool
    warm = _WARM.get(pool)
    if warm is None:
        warm = _WARM[pool] = _WarmConnections(engine)
    return warm


async def release_warm_connections(engine: AsyncEngine) -> None:
    """Give the pool back every connection kept warm for ``engine`` (before dispose)."""
    warm = _WARM.pop(engine.sync_engine.pool, None)
    if warm is not None:
        await warm.release()


@asynccontextmanager
async def driver_connection(
    engine: AsyncEngine, *, transaction: bool
) -> AsyncIterator[DriverConnection]:
    """A pooled connection; ``transaction``: one write transaction, committed on exit.

    Without ``transaction`` each statement commits as it runs on PostgreSQL; SQLite
    still wraps the unit in one short write transaction (it has no AUTOCOMMIT mode worth
    the name, and its write lock is per statement either way).
    """
    if engine.dialect.name != "postgresql":
        async with engine.connect() as conn:
            writer = await conn.execution_options(**{WRITE_OPTION: True})
            async with writer.begin():
                yield DriverConnection(writer, None)
        return
    async with warm_connections(engine).lease() as (conn, driver):
        if not transaction:
            yield DriverConnection(conn, driver)
            return
        async with driver.transaction():
            yield DriverConnection(conn, driver)
