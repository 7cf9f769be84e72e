"""The command line: migrations and the first admin."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from frontdesk.cli import app
from frontdesk.core.config import get_settings

runner = CliRunner()


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "nested" / "cli.db"
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.delenv("FRONTDESK_ENVIRONMENT", raising=False)
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def _ok(*args: str, stdin: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def test_db_upgrade_creates_the_database_and_reports_head(cli_database: Path) -> None:
    assert "Database at head" in _ok("db", "upgrade")
    assert cli_database.exists()
    assert "(head)" in _ok("db", "current")


def test_db_downgrade_steps_back(cli_database: Path) -> None:
    _ok("db", "upgrade")
    _ok("db", "downgrade", "-1")
    assert "(head)" not in _ok("db", "current")


def test_create_admin_with_flags(cli_database: Path) -> None:
    _ok("db", "upgrade")
    output = _ok(
        "users", "create-admin", "--username", "Owner", "--email", "owner@example.com",
        "--password", "a long enough passphrase",
    )  # fmt: skip
    assert "created" in output


def test_create_admin_interactively(cli_database: Path) -> None:
    _ok("db", "upgrade")
    secret = "another long passphrase"
    _ok("users", "create-admin", stdin=f"owner\nowner@example.com\n{secret}\n{secret}\n")
    duplicate = runner.invoke(
        app,
        ["users", "create-admin", "--username", "OWNER", "--email", "x@example.com",
         "--password", secret],
    )  # fmt: skip
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.output


def test_create_admin_refuses_a_weak_password(cli_database: Path) -> None:
    _ok("db", "upgrade")
    result = runner.invoke(
        app,
        ["users", "create-admin", "--username", "o", "--email", "o@example.com",
         "--password", "short"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "at least 8 characters" in result.output


def test_production_without_a_secret_key_refuses_to_start(
    cli_database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTDESK_ENVIRONMENT", "production")
    monkeypatch.delenv("FRONTDESK_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 2
    assert "FRONTDESK_SECRET_KEY must be set" in result.output
