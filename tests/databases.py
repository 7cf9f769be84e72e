"""Test databases: a throwaway SQLite file and a throwaway PostgreSQL database per run.

The schema is always built by ``alembic upgrade head`` (never ``create_all``), so every
test run also tests the migrations.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from alembic import command

from frontdesk.core.health import alembic_config

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ENGINES = ("sqlite", "postgresql")


@dataclass
class EngineReport:
    """What happened to each engine in this run, for the closing summary."""

    ran: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENGINES, 0))
    skipped: dict[str, str] = field(default_factory=dict)


REPORT = EngineReport()


def postgres_admin_url() -> str:
    return os.environ.get("FRONTDESK_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_required() -> bool:
    return os.environ.get("FRONTDESK_REQUIRE_POSTGRES", "") not in ("", "0", "false")


def selected_engines() -> tuple[str, ...]:
    """Both engines unless FRONTDESK_TEST_ENGINES narrows the run (e.g. ``sqlite``)."""
    wanted = os.environ.get("FRONTDESK_TEST_ENGINES", "")
    if not wanted:
        return ENGINES
    chosen = tuple(name.strip() for name in wanted.split(",") if name.strip())
    unknown = set(chosen) - set(ENGINES)
    if unknown:
        raise ValueError(f"unknown engines in FRONTDESK_TEST_ENGINES: {sorted(unknown)}")
    return chosen


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def as_asyncpg_url(url: str) -> str:
    """A SQLAlchemy URL for asyncpg from a plain ``postgresql://`` URL."""
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


async def postgres_reachable(admin_url: str) -> str | None:
    """None when reachable, else the reason."""
    try:
        conn = await asyncpg.connect(admin_url, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


@asynccontextmanager
async def fresh_postgres_database(admin_url: str, purpose: str) -> AsyncIterator[str]:
    """Create a database for this run, yield its plain URL, drop it afterwards."""
    name = f"frontdesk_test_{purpose}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield _with_database(admin_url, name)
    finally:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def migrate(url: str, revision: str = "head") -> None:
    # Alembic's env.py runs its own event loop: give it a thread without one.
    await asyncio.to_thread(command.upgrade, alembic_config(url), revision)


async def downgrade(url: str, revision: str) -> None:
    await asyncio.to_thread(command.downgrade, alembic_config(url), revision)
