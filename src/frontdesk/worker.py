"""``frontdesk worker``: the jobs that run beside the API, not inside a request.

Every pass queues the appointment reminders that are due (one transaction) and then
delivers the outbox: the reminders just queued, retries whose backoff has passed and
anything an API process left behind. Then it waits ``poll_seconds``, or stops when told.

On PostgreSQL run as many workers as you like: both jobs claim their rows with
``SELECT ... FOR UPDATE SKIP LOCKED``, so no email goes twice. SQLite has one writer at a
time, so one worker per database file is enough and more would only queue on the lock:
:func:`single_worker_lock` refuses a second one.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.scheduling import reminders
from frontdesk.core import clock
from frontdesk.core.db import is_sqlite, transaction
from frontdesk.core.outbox import OutboxDispatcher

log = logging.getLogger("frontdesk.worker")

DEFAULT_POLL_SECONDS = 15.0


class WorkerAlreadyRunningError(RuntimeError):
    """Another worker holds this SQLite database."""


@dataclass(frozen=True)
class PassReport:
    reminders_queued: int
    emails_sent: int


class Worker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox: OutboxDispatcher,
        *,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> None:
        self._sessionmaker, self._outbox, self._poll_seconds = sessionmaker, outbox, poll_seconds

    async def run_once(self) -> PassReport:
        """One pass: every due reminder queued, then every due email delivered."""
        queued = 0
        while True:
            async with transaction(self._sessionmaker) as session:
                batch = await reminders.queue_due(session, now=clock.now())
            queued += batch
            if batch < reminders.BATCH_SIZE:
                break
        return PassReport(reminders_queued=queued, emails_sent=await self._outbox.drain())

    async def run(self, stop: asyncio.Event) -> None:
        """Pass after pass until ``stop`` is set; a failed pass is logged and retried."""
        log.info("worker started (a pass every %.0f s)", self._poll_seconds)
        while not stop.is_set():
            try:
                report = await self.run_once()
            except Exception:
                log.exception("worker pass failed")
            else:
                if report.reminders_queued or report.emails_sent:
                    log.info(
                        "reminders queued: %d, emails sent: %d",
                        report.reminders_queued,
                        report.emails_sent,
                    )
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._poll_seconds)
        log.info("worker stopped")


@contextmanager
def single_worker_lock(database_url: str) -> Iterator[None]:
    """On SQLite, an exclusive lock file next to the database for the worker's lifetime."""
    path = _sqlite_path(database_url)
    if path is None:
        yield  # PostgreSQL (or an in-memory database): nothing to serialize
        return
    with open(f"{path}.worker.lock", "a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WorkerAlreadyRunningError(
                f"another worker is running on {path}; SQLite runs one worker"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _sqlite_path(database_url: str) -> str | None:
    if not is_sqlite(database_url) or ":///" not in database_url:
        return None
    path = database_url.split(":///", 1)[1].split("?", 1)[0]
    return os.path.abspath(path) if path and path != ":memory:" else None
