"""Fixtures shared by the whole suite.

Every database test runs once per engine (SQLite and PostgreSQL); ``make test``
reports which engines ran. Each test starts from the freshly migrated state: rows
written by the test are deleted afterwards and the seeded rows restored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.app import create_app
from frontdesk.catalog import metadata
from frontdesk.core.clock import FrozenClock, use_clock
from frontdesk.core.config import Settings
from frontdesk.core.db import create_engine, create_sessionmaker, open_session
from frontdesk.core.fastsql import release_warm_connections
from tests.databases import (
    REPORT,
    as_asyncpg_url,
    fresh_postgres_database,
    migrate,
    postgres_admin_url,
    postgres_reachable,
    postgres_required,
    selected_engines,
    sqlite_url,
)

# Rows the migrations seed; restored after every test.
# Rows the migrations seed; every test starts with them.
SEEDED_TABLES = ("permissions", "roles", "role_permissions", "business_settings")
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def pytest_report_header() -> list[str]:
    return [f"frontdesk test engines requested: {', '.join(selected_engines())}"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.section("database engines")
    for engine in selected_engines():
        count = REPORT.ran[engine]
        if engine in REPORT.skipped:
            terminalreporter.write_line(f"{engine}: SKIPPED ({REPORT.skipped[engine]})")
        elif count:
            terminalreporter.write_line(f"{engine}: ran {count} database tests")
        else:
            terminalreporter.write_line(f"{engine}: no database tests selected")


@pytest.fixture(scope="session", params=selected_engines())
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated database of one engine, for the whole run."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("sqlite") / "frontdesk_test.db")
        await migrate(url)
        yield url
        return
    admin = postgres_admin_url()
    reason = await postgres_reachable(admin)
    if reason is not None:
        REPORT.skipped["postgresql"] = f"not reachable at {admin}: {reason}"
        if postgres_required():
            pytest.fail(f"FRONTDESK_REQUIRE_POSTGRES is set but {REPORT.skipped['postgresql']}")
        pytest.skip(REPORT.skipped["postgresql"])
    async with fresh_postgres_database(admin, "suite") as plain_url:
        url = as_asyncpg_url(plain_url)
        await migrate(url)
        yield url


@pytest.fixture(scope="session")
def engine_name(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=10)
    yield engine
    await release_warm_connections(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
async def seeded_rows(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    async with engine.connect() as conn:
        return {
            name: [dict(row._mapping) for row in await conn.execute(select(metadata.tables[name]))]
            for name in SEEDED_TABLES
        }


async def _reset(engine: AsyncEngine, seeded_rows: dict[str, list[dict[str, Any]]]) -> None:
    async with open_session(create_sessionmaker(engine), write=True) as session:
        for table in reversed(metadata.sorted_tables):
            await session.execute(delete(table))
        for table in metadata.sorted_tables:
            rows = seeded_rows.get(table.name)
            if rows:
                await session.execute(insert(table), rows)
        await session.commit()


@pytest.fixture
async def db(
    engine: AsyncEngine,
    engine_name: str,
    seeded_rows: dict[str, list[dict[str, Any]]],
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The session factory of a clean, migrated database; cleaned again afterwards."""
    REPORT.ran[engine_name] += 1
    try:
        yield create_sessionmaker(engine)
    finally:
        await _reset(engine, seeded_rows)


@pytest.fixture
async def session(db: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A writer session; the test commits what it wants to keep."""
    async with open_session(db, write=True) as session:
        yield session


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    frozen = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with use_clock(frozen):
        yield frozen


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "environment": "dev",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def app(database_url: str, engine: AsyncEngine, db: Any) -> FastAPI:
    return create_app(make_settings(database_url), engine=engine)


def asgi_client(app: FastAPI) -> httpx.AsyncClient:
    """A client that talks to ``app`` in-process; server errors come back as responses."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://frontdesk.test")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


@pytest.fixture
def plain_app(tmp_path: Path) -> FastAPI:
    """An app whose database is never touched (routing, errors, middleware)."""
    return create_app(make_settings(sqlite_url(tmp_path / "unused.db")))


@pytest.fixture
async def plain_client(plain_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(plain_app) as client:
        yield client


@pytest.fixture
async def scratch_database_url(engine_name: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the current engine, all to one test (migration tests)."""
    REPORT.ran[engine_name] += 1
    if engine_name == "sqlite":
        yield sqlite_url(tmp_path / "scratch.db")
        return
    async with fresh_postgres_database(postgres_admin_url(), "scratch") as plain_url:
        yield as_asyncpg_url(plain_url)
