"""``frontdesk audit verify`` against a migrated SQLite database."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from frontdesk.cli import app
from frontdesk.core.config import get_settings
from frontdesk.core.db import create_engine, create_sessionmaker
from frontdesk.security.audit.service import record_standalone

runner = CliRunner()


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "audit.db"
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.delenv("FRONTDESK_ENVIRONMENT", raising=False)
    get_settings.cache_clear()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    yield path
    get_settings.cache_clear()


async def _record(path: Path, count: int) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{path}", pool_size=1)
    try:
        for index in range(count):
            await record_standalone(
                create_sessionmaker(engine), action=f"cli.{index}", success=True
            )
    finally:
        await engine.dispose()


def _execute(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_an_empty_log_verifies(cli_database: Path) -> None:
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK: 0 rows verified" in result.output


def test_an_intact_log_verifies(cli_database: Path) -> None:
    asyncio.run(_record(cli_database, 4))
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK: 4 rows verified" in result.output


def test_a_tampered_row_is_reported_and_exits_1(cli_database: Path) -> None:
    asyncio.run(_record(cli_database, 4))
    _execute(cli_database, "UPDATE audit_logs SET success = 0 WHERE sequence = 2")
    [(raw_id,)] = _execute(cli_database, "SELECT id FROM audit_logs WHERE sequence = 2")
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at sequence 2 (id {uuid.UUID(str(raw_id))}): hash mismatch" in result.output


def test_a_deleted_row_is_reported_as_a_gap(cli_database: Path) -> None:
    asyncio.run(_record(cli_database, 4))
    _execute(cli_database, "DELETE FROM audit_logs WHERE sequence = 2")
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at sequence 3" in result.output
    assert "gap in sequence" in result.output


def test_a_bad_configuration_exits_2(cli_database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", "mysql://nowhere/db")
    get_settings.cache_clear()
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 2
    assert "Configuration error" in result.output
