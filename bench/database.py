"""The throwaway benchmark database: recreate, migrate, fill the reference table, drop."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from common import BenchError, say

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "frontdesk_bench"
# Fixed identifiers, written out in full so no SQL is ever built from input.
DROP_SQL = 'DROP DATABASE IF EXISTS "frontdesk_bench" WITH (FORCE)'
CREATE_SQL = 'CREATE DATABASE "frontdesk_bench"'
REFERENCE_TABLE = "bench_reference"
REFERENCE_DDL = "CREATE TABLE bench_reference (id integer PRIMARY KEY, name text NOT NULL)"
REFERENCE_ROWS = 1000
CONNECT_TIMEOUT_S = 10.0
MIGRATION_TIMEOUT_S = 300


@dataclass(frozen=True)
class BenchDatabase:
    """Addresses of the maintenance database (``admin_url``) and of the bench database."""

    admin_url: str

    @property
    def dsn(self) -> str:
        """The bench database for asyncpg (the reference app and the harness)."""
        return _with_database(self.admin_url, "postgresql")

    @property
    def sqlalchemy_url(self) -> str:
        """The bench database for frontdesk (FRONTDESK_DATABASE_URL)."""
        return _with_database(self.admin_url, "postgresql+asyncpg")


def _with_database(url: str, scheme: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=scheme, path=f"/{BENCH_DATABASE}"))


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


async def connect(url: str) -> asyncpg.Connection:
    """A connection to ``url`` (asyncpg or SQLAlchemy style); BenchError if it fails."""
    try:
        return await asyncpg.connect(_with_scheme(url), timeout=CONNECT_TIMEOUT_S)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise BenchError(f"cannot connect to PostgreSQL at {_redacted(url)}: {exc}") from exc


async def _execute(url: str, *statements: str) -> None:
    conn = await connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _with_scheme(url: str) -> str:
    """asyncpg wants postgresql://; accept a SQLAlchemy-style override too."""
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql"))


def recreate(db: BenchDatabase) -> None:
    say(f"recreating database {BENCH_DATABASE}")
    asyncio.run(_execute(db.admin_url, DROP_SQL, CREATE_SQL))


def drop(db: BenchDatabase) -> None:
    say(f"dropping database {BENCH_DATABASE}")
    asyncio.run(_execute(db.admin_url, DROP_SQL))


async def _settle(dsn: str) -> None:
    conn = await connect(dsn)
    try:
        await conn.execute("VACUUM (ANALYZE)")
        try:
            await conn.execute("CHECKPOINT")
        except asyncpg.InsufficientPrivilegeError:
            say("warning: no privilege for CHECKPOINT; measuring without one")
    finally:
        await conn.close()


def settle(db: BenchDatabase) -> None:
    """Before each scenario, as pgbench does before its runs: vacuum and analyze, then
    checkpoint, so no scenario pays for the dead rows, stale statistics or dirty pages
    the one before it left (a login run updates every account it signs in)."""
    asyncio.run(_settle(db.dsn))


async def _fill_reference(dsn: str) -> None:
    conn = await connect(dsn)
    try:
        await conn.execute(REFERENCE_DDL)
        rows = [(i, f"reference row {i}") for i in range(1, REFERENCE_ROWS + 1)]
        await conn.copy_records_to_table(REFERENCE_TABLE, records=rows, columns=["id", "name"])
        await conn.execute("ANALYZE bench_reference")
    finally:
        await conn.close()


def fill_reference(db: BenchDatabase) -> None:
    say(f"filling {REFERENCE_TABLE} with {REFERENCE_ROWS} rows")
    asyncio.run(_fill_reference(db.dsn))


def migrate(bin_dir: Path, repo_root: Path, env: Mapping[str, str]) -> None:
    """Bring the schema to head with ``frontdesk db upgrade``, or plain Alembic without it."""
    command = _migration_command(bin_dir, repo_root, env)
    say(f"migrating: {Path(command[0]).name} {' '.join(command[1:])}")
    done = _run(command, repo_root, env)
    if done.returncode != 0:
        raise BenchError(f"migration failed ({done.returncode}):\n{done.stderr}{done.stdout}")


def _migration_command(bin_dir: Path, repo_root: Path, env: Mapping[str, str]) -> list[str]:
    frontdesk = bin_dir / "frontdesk"
    if frontdesk.exists():
        probe = _run([str(frontdesk), "db", "upgrade", "--help"], repo_root, env)
        if probe.returncode == 0:
            return [str(frontdesk), "db", "upgrade"]
        say("`frontdesk db upgrade` is not available; falling back to `alembic upgrade head`")
    return [str(bin_dir / "alembic"), "upgrade", "head"]


def _run(command: list[str], cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=MIGRATION_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{command[0]} did not finish within {MIGRATION_TIMEOUT_S} s") from exc
