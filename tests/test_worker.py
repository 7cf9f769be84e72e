"""The worker process: one pass from the command line, a clean stop, one worker per SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from frontdesk.cli import app
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.outbox import OutboxDispatcher, enqueue_email
from frontdesk.core.outbox_models import OutboxMessage
from frontdesk.worker import Worker, WorkerAlreadyRunningError, single_worker_lock
from tests.test_cli import cli_database

__all__ = ["cli_database"]  # a fixture, imported for pytest to find

runner = CliRunner()


def test_sqlite_runs_one_worker_per_database_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}"
    with single_worker_lock(url):
        refused = pytest.raises(WorkerAlreadyRunningError, match="SQLite runs one worker")
        with refused, single_worker_lock(url):
            pass
        with single_worker_lock(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"):
            pass  # another database has its own worker
    with single_worker_lock(url):
        pass  # released when the first worker stopped


def test_postgresql_takes_no_lock() -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1/frontdesk"
    with single_worker_lock(url), single_worker_lock(url):
        pass


def test_the_worker_command_runs_one_pass(cli_database: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Reminders queued: 0; emails sent: 0." in result.output


def test_a_second_worker_on_one_sqlite_file_is_refused(cli_database: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with single_worker_lock(f"sqlite+aiosqlite:///{cli_database}"):
        result = runner.invoke(app, ["worker", "--once"])
    assert result.exit_code == 1
    assert "another worker is running" in result.output


class Recorder:
    def __init__(self) -> None:
        self.sent: list[OutboxMessage] = []

    async def send(self, message: OutboxMessage) -> None:
        self.sent.append(message)


async def test_run_delivers_until_stopped(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    async with transaction(db) as session:
        await enqueue_email(session, to="ada@example.com", subject="Hello", text="Hi")
    sender, stop = Recorder(), asyncio.Event()
    worker = Worker(db, OutboxDispatcher(db, sender, poll_seconds=None), poll_seconds=3600)
    running = asyncio.create_task(worker.run(stop))
    for _ in range(500):  # the first pass runs at once; no waiting on the hour
        if sender.sent:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, timeout=5)
    assert [message.recipient for message in sender.sent] == ["ada@example.com"]
