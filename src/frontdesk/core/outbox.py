"""Email leaves through the outbox: a row written in the request's transaction, sent after commit.

A router enqueues with::

    await enqueue_email(session, to=..., subject=..., text=..., dispatcher=request.app.state.outbox)

and the request dependency wakes the dispatcher once the transaction has committed, so a
rolled-back request sends nothing. Jobs and CLI commands (whose sessions run no
after-commit hooks) call ``dispatcher.notify()`` after their transaction, or leave it to
the periodic poll of the running app.

Delivery is at-least-once. A sender claims the oldest due row in a short transaction of
its own: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL (a row another sender is
claiming is passed over, not waited for), the ``BEGIN IMMEDIATE`` write lock on SQLite,
and pushes ``available_at`` forward as a lease before it sends. So any number of API
processes and ``frontdesk worker`` processes never send one message at the same time;
only a crash between the SMTP "250 OK" and the status update re-sends a message, and the
Message-ID (the row id) lets receivers drop that duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import aiosmtplib
from sqlalchemy import ColumnElement, Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core import clock
from frontdesk.core.config import Settings
from frontdesk.core.db import transaction
from frontdesk.core.deps import after_commit
from frontdesk.core.outbox_models import OutboxMessage

log = logging.getLogger("frontdesk.outbox")
mail_log = logging.getLogger("frontdesk.mail")

MAX_ERROR_LENGTH = 500  # the width of outbox_messages.last_error


async def enqueue_email(
    session: AsyncSession,
    *,
    to: str,
    subject: str,
    text: str,
    meta: dict[str, Any] | None = None,
    dispatcher: OutboxDispatcher | None = None,
) -> OutboxMessage:
    """Add an email to the outbox (flush only); ``meta`` is for operators, never tokens."""
    _refuse_line_breaks(to=to, subject=subject)
    message = OutboxMessage(
        kind="email",
        recipient=to,
        subject=subject,
        body_text=text,
        meta=dict(meta or {}),
    )
    session.add(message)
    await session.flush()
    if dispatcher is not None:
        after_commit(session, dispatcher.notify)
    return message


def _refuse_line_breaks(**headers: str) -> None:
    # A line break in a header would let a caller's input add headers (e.g. Bcc).
    for name, value in headers.items():
        if "\r" in value or "\n" in value:
            raise ValueError(f"email {name} must be a single line")


class DeliveryError(Exception):
    """A send failed; the message is safe to store (no credentials)."""


class Sender(Protocol):
    async def send(self, message: OutboxMessage) -> None: ...


@dataclass(frozen=True)
class SMTPConfig:
    """Connection settings, named as :func:`aiosmtplib.send` takes them."""

    hostname: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False  # smtps://: TLS from the first byte
    start_tls: bool = False  # smtp://...?starttls=1: STARTTLS required, never optional


def parse_smtp_url(url: str) -> SMTPConfig:
    """``smtp://[user:pass@]host[:port][?starttls=1]`` or ``smtps://...`` (implicit TLS).

    STARTTLS is all or nothing: with ``?starttls=1`` a server that does not offer it fails
    delivery (a stripped STARTTLS must not send credentials in clear); without it the
    connection stays plain, which suits a relay on localhost only.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("smtp_url must look like smtp://user:pass@host:port or smtps://...")
    start_tls = parse_qs(parts.query).get("starttls", ["0"])[-1] in ("1", "true", "yes")
    use_tls = parts.scheme == "smtps"
    if use_tls and start_tls:
        raise ValueError("smtps:// is TLS already; starttls=1 applies to smtp:// only")
    default_port = 465 if use_tls else (587 if start_tls else 25)
    return SMTPConfig(
        hostname=parts.hostname,
        port=parts.port or default_port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls,
        start_tls=start_tls,
    )


class SMTPSender:
    def __init__(self, url: str, mail_from: str, *, timeout: float = 30.0) -> None:
        self._config = parse_smtp_url(url)
        self._mail_from = mail_from
        # Bounded well below the claim lease, so a lease never expires mid-send.
        self._timeout = timeout

    async def send(self, message: OutboxMessage) -> None:
        try:
            await aiosmtplib.send(
                self._build(message), **asdict(self._config), timeout=self._timeout
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(self._redact(f"{type(exc).__name__}: {exc}")) from exc

    def _build(self, message: OutboxMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._mail_from
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = format_datetime(clock.now())
        # The row id: stable across retries, so a receiver can drop a re-sent duplicate.
        domain = parseaddr(self._mail_from)[1].rpartition("@")[2] or "frontdesk"
        email["Message-ID"] = f"<{message.id}@{domain}>"
        email.set_content(message.body_text)
        return email

    def _redact(self, text: str) -> str:
        # Server replies may echo the login; the stored error must carry no credentials.
        for secret in (self._config.password, self._config.username):
            if secret:
                text = text.replace(secret, "***")
        return text


class ConsoleSender:
    """The dev fallback: the whole message goes to the log, links included."""

    async def send(self, message: OutboxMessage) -> None:
        mail_log.info(
            "email to %s\nSubject: %s\n\n%s", message.recipient, message.subject, message.body_text
        )


class UnconfiguredSender:
    """Production without ``FRONTDESK_SMTP_URL``: nothing is sent and nothing is printed.

    Bodies carry sign-in and reset links, so production never logs them; the dispatcher
    leaves every message pending (delivered once SMTP is configured) and logs one error.
    """

    async def send(self, message: OutboxMessage) -> None:
        raise DeliveryError("no SMTP server configured (FRONTDESK_SMTP_URL)")


def sender_from_settings(settings: Settings) -> Sender:
    if settings.smtp_url is not None:
        return SMTPSender(settings.smtp_url.get_secret_value(), settings.mail_from)
    if settings.is_production:
        return UnconfiguredSender()
    return ConsoleSender()


@dataclass(frozen=True)
class _Lease:
    message_id: UUID
    until: datetime  # written by the claim; compared exactly when the result is stored


def _describe(exc: Exception) -> str:
    # Only DeliveryError text is known to be clean; anything else keeps its type name only.
    text = str(exc) if isinstance(exc, DeliveryError) else type(exc).__name__
    return text[:MAX_ERROR_LENGTH]


class OutboxDispatcher:
    """Delivers due outbox rows in the background of a started app, or on ``drain()``."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        sender: Sender,
        *,
        max_attempts: int = 5,
        backoff: timedelta = timedelta(seconds=30),
        lease: timedelta = timedelta(minutes=5),
        poll_seconds: float | None = 30.0,
    ) -> None:
        self._sessionmaker, self._sender = sessionmaker, sender
        self._max_attempts, self._backoff, self._lease = max_attempts, backoff, lease
        self._poll_seconds = poll_seconds
        self._started = self._closing = self._again = self._warned = False
        self._task: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Deliver in the background from now on; retries and leftovers come with the poll."""
        if self._started:
            return
        self._started = True
        if self._poll_seconds:
            self._poller = asyncio.get_running_loop().create_task(self._poll(self._poll_seconds))
        self.notify()

    def notify(self) -> None:
        """Wake the sender (cheap, idempotent). Only a started dispatcher spawns tasks:
        unstarted ones (tests without a lifespan) leave rows for an explicit ``drain()``."""
        if not self._started or self._closing:
            return
        self._again = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def wait_idle(self) -> None:
        while (task := self._task) is not None and not task.done():
            await task

    async def close(self) -> None:
        """Stop polling; the message being sent finishes (bounded by the SMTP timeout)."""
        self._closing = True
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        await self.wait_idle()

    async def _poll(self, seconds: float) -> None:
        # Picks up retries whose backoff has passed and rows enqueued by other processes.
        while True:
            await asyncio.sleep(seconds)
            self.notify()

    async def _run(self) -> None:
        # Loop while notified during a pass: a row committed after our SELECT is not missed.
        while self._again and not self._closing:
            self._again = False
            try:
                await self.drain()
            except Exception:
                log.exception("outbox delivery pass failed")

    async def drain(self) -> int:
        """Deliver every due pending message; returns how many were sent."""
        if isinstance(self._sender, UnconfiguredSender):
            self._warn_unconfigured()
            return 0
        sent = 0
        while not self._closing and (claimed := await self._claim_next()) is not None:
            sent += await self._deliver(*claimed)
        return sent

    def _warn_unconfigured(self) -> None:
        if not self._warned:
            self._warned = True
            log.error("email is not sent: set FRONTDESK_SMTP_URL; messages stay pending")

    async def _claim_next(self) -> tuple[_Lease, OutboxMessage] | None:
        """Lease the oldest due message in a transaction of its own, committed before the
        send so other senders see the lease; rows locked by a rival claim are skipped."""
        now = clock.now()
        oldest_due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.available_at <= now)
            .order_by(OutboxMessage.available_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        async with transaction(self._sessionmaker) as session:
            message_id = await session.scalar(oldest_due)
            if message_id is None:
                return None
            lease = _Lease(message_id, now + self._lease)
            claim = (
                _update_pending(message_id)
                .values(available_at=lease.until)
                .returning(OutboxMessage)
            )
            message = (await session.scalars(claim)).one()
        return lease, message

    async def _deliver(self, lease: _Lease, message: OutboxMessage) -> int:
        try:
            await self._sender.send(message)
        except Exception as exc:
            await self._record_failure(lease, message.attempts + 1, exc)
            return 0
        await self._finish(lease, status="sent", attempts=message.attempts + 1, sent_at=clock.now())
        return 1

    async def _record_failure(self, lease: _Lease, attempts: int, exc: Exception) -> None:
        error, final = _describe(exc), attempts >= self._max_attempts
        level = logging.ERROR if final else logging.WARNING
        log.log(
            level, "outbox message %s failed (attempt %d): %s", lease.message_id, attempts, error
        )
        if final:
            await self._finish(lease, status="failed", attempts=attempts, last_error=error)
            return
        retry_at = clock.now() + self._backoff * 2 ** (attempts - 1)
        await self._finish(lease, attempts=attempts, last_error=error, available_at=retry_at)

    async def _finish(self, lease: _Lease, **values: Any) -> None:
        # The lease end is a fencing token: if ours ran out and another dispatcher took
        # the row, its outcome is the one that counts.
        statement = (
            _update_pending(lease.message_id, OutboxMessage.available_at == lease.until)
            .values(**values)
            .returning(OutboxMessage.id)
        )
        async with transaction(self._sessionmaker) as session:
            if (await session.scalars(statement)).one_or_none() is None:
                log.warning("outbox message %s: lease lost before the result", lease.message_id)


def _update_pending(message_id: UUID, *conditions: ColumnElement[bool]) -> Update:
    return update(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.status == "pending", *conditions
    )
