"""``frontdesk worker``: the jobs that run beside the API, not inside a request.

Every pass queues the appointment reminders that are due (one transaction), expires
loyalty points past their age, offers past their window and vouchers past their
lifetime (at most once per ``expiry_every``: these age in days and months, not
seconds), and then delivers the outbox: the reminders just queued, retries
whose backoff has passed and anything an API process left behind. Then it waits
``poll_seconds``, or stops when told.

On PostgreSQL run as many workers as you like: the jobs claim their rows with
``SELECT ... FOR UPDATE SKIP LOCKED``, so no email goes twice and no points expire twice.
SQLite has one writer at a time, so one worker per database file is enough and more
would only queue on the lock: :func:`single_worker_lock` refuses a second one.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.scheduling import reminders
from frontdesk.core import clock
from frontdesk.core.db import is_sqlite, transaction
from frontdesk.core.outbox import OutboxDispatcher
from frontdesk.rewards.catalogue import vouchers
from frontdesk.rewards.loyalty import expiry
from frontdesk.rewards.offers import expiry as offer_expiry

log = logging.getLogger("frontdesk.worker")

DEFAULT_POLL_SECONDS = 15.0
DEFAULT_EXPIRY_EVERY = timedelta(hours=1)


class WorkerAlreadyRunningError(RuntimeError):
    """Another worker holds this SQLite database."""


@dataclass(frozen=True)
class PassReport:
    reminders_queued: int
    emails_sent: int
    points_expired: int = 0
    offers_expired: int = 0
    vouchers_expired: int = 0


class Worker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox: OutboxDispatcher,
        *,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        expiry_every: timedelta = DEFAULT_EXPIRY_EVERY,
    ) -> None:
        self._sessionmaker, self._outbox, self._poll_seconds = sessionmaker, outbox, poll_seconds
        self._expiry_every = expiry_every
        self._next_expiry: datetime | None = None  # the first pass always runs it

    async def run_once(self) -> PassReport:
        """One pass: due reminders queued, due points, offers and vouchers expired, due
        emails delivered."""
        queued = await self._queue_reminders()
        now = clock.now()
        expiring = self._next_expiry is None or now >= self._next_expiry
        points = offers = vouchers_ = 0
        if expiring:
            points = await self._expire_points(now)
            offers = await self._expire_offers(now)
            vouchers_ = await self._expire_vouchers(now)
            self._next_expiry = now + self._expiry_every
        return PassReport(
            reminders_queued=queued,
            emails_sent=await self._outbox.drain(),
            points_expired=points,
            offers_expired=offers,
            vouchers_expired=vouchers_,
        )

    async def _queue_reminders(self) -> int:
        queued = 0
        while True:
            async with transaction(self._sessionmaker) as session:
                batch = await reminders.queue_due(session, now=clock.now())
            queued += batch
            if batch < reminders.BATCH_SIZE:
                return queued

    async def _expire_points(self, now: datetime) -> int:
        expired = 0
        while True:
            async with transaction(self._sessionmaker) as session:
                batch = await expiry.expire_batch(session, now=now)
            expired += batch.points
            # Stop on a short batch, or one whose customers were all busy (next pass).
            if batch.candidates < expiry.BATCH_SIZE or not batch.customers:
                return expired

    async def _expire_offers(self, now: datetime) -> int:
        async with transaction(self._sessionmaker) as session:
            return await offer_expiry.expire_offers(session, now=now)

    async def _expire_vouchers(self, now: datetime) -> int:
        expired = 0
        while True:
            async with transaction(self._sessionmaker) as session:
                batch = await vouchers.expire_vouchers(session, now=now)
            expired += batch
            if batch < vouchers.BATCH_SIZE:
                return expired

    async def run(self, stop: asyncio.Event) -> None:
        """Pass after pass until ``stop`` is set; a failed pass is logged and retried."""
        log.info("worker started (a pass every %.0f s)", self._poll_seconds)
        while not stop.is_set():
            try:
                report = await self.run_once()
            except Exception:
                log.exception("worker pass failed")
            else:
                if any(astuple(report)):
                    log.info(
                        "reminders queued: %d, emails sent: %d, expired: %d points, "
                        "%d offers, %d vouchers",
                        *astuple(report),
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
