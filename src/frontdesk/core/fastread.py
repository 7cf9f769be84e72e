"""Single-row reads and pages for the hottest paths (every authenticated request runs one).

On PostgreSQL the statement is compiled once and sent straight to asyncpg on a pooled
connection, one of the few kept warm (:mod:`frontdesk.core.fastsql`): no transaction,
no SQLAlchemy execution pipeline, which is most of such a request's cost. Elsewhere the
same Core statement runs the ordinary way. The column types' bind conversions apply.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.core.fastsql import DriverSQL, discard, warm_connections


class CompiledRead:
    def __init__(self, engine: AsyncEngine, statement: Select[Any] | Any) -> None:
        self._engine = engine
        self._statement = statement
        self._driver_sql: DriverSQL | None = None
        if engine.dialect.name == "postgresql":
            self._driver_sql = DriverSQL(engine.dialect, statement)

    async def fetchrow(self, **params: Any) -> Mapping[str, Any] | None:
        if self._driver_sql is None:
            async with self._engine.connect() as conn:
                row = (await conn.execute(self._statement, params)).first()
                return dict(row._mapping) if row is not None else None
        record: Mapping[str, Any] | None
        record = await self._on_driver(self._driver_sql, "fetchrow", params)
        return record

    async def fetch(self, **params: Any) -> Sequence[Mapping[str, Any]]:
        """Every row, as mappings (a page of a list)."""
        if self._driver_sql is None:
            async with self._engine.connect() as conn:
                result = await conn.execute(self._statement, params)
                return [dict(row) for row in result.mappings()]
        records: Sequence[Mapping[str, Any]]
        records = await self._on_driver(self._driver_sql, "fetch", params)
        return records

    async def _on_driver(self, sql: DriverSQL, method: str, params: Mapping[str, Any]) -> Any:
        # acquire/give_back rather than ``lease()``: a generator-based context manager
        # is a measurable share of a request this small.
        warm = warm_connections(self._engine)
        conn, driver = await warm.acquire()
        try:
            result = await getattr(driver, method)(sql.sql, *sql.arguments(params))
        except BaseException:
            await discard(conn)
            raise
        await warm.give_back(conn, driver)
        return result


_COMPILED: WeakKeyDictionary[Engine, dict[Hashable, CompiledRead]] = WeakKeyDictionary()


def compiled_read(
    engine: AsyncEngine, key: Hashable, build: Callable[[], Select[Any]]
) -> CompiledRead:
    """The :class:`CompiledRead` of ``build()`` for ``engine``, compiled on first use.

    For statements whose shape varies with a request's filters: ``key`` names the shape
    (say, which filters are present), and each shape is compiled once per engine.
    """
    reads = _COMPILED.setdefault(engine.sync_engine, {})
    read = reads.get(key)
    if read is None:
        read = reads[key] = CompiledRead(engine, build())
    return read
