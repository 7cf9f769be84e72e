"""The outbox: written in the request's transaction, delivered after commit, retried, fenced."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.app import create_app
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import create_engine, create_sessionmaker, open_session, transaction
from frontdesk.core.deps import DbSession
from frontdesk.core.errors import ConflictError
from frontdesk.core.outbox import (
    ConsoleSender,
    OutboxDispatcher,
    Sender,
    SMTPConfig,
    SMTPSender,
    UnconfiguredSender,
    enqueue_email,
    parse_smtp_url,
    sender_from_settings,
)
from frontdesk.core.outbox_models import OutboxMessage
from tests.conftest import asgi_client, make_settings
from tests.smtp import (
    SMTPServer,
    free_port,
    smtp_server,
    smtps_server,
    starttls_server,
    test_certificate,
    trust_test_certificate,
)

# Fixtures, imported for pytest to find.
__all__ = [
    "smtp_server",
    "smtps_server",
    "starttls_server",
    "test_certificate",
    "trust_test_certificate",
]

MAIL_FROM = "frontdesk <no-reply@example.test>"
SECRET = "hunter2-smtp-secret"


class RecordingSender:
    def __init__(self, pause: float = 0.0) -> None:
        self.sent: list[UUID] = []
        self.pause = pause

    async def send(self, message: OutboxMessage) -> None:
        await asyncio.sleep(self.pause)  # let a concurrent dispatcher run meanwhile
        self.sent.append(message.id)


class BrokenSender:
    async def send(self, message: OutboxMessage) -> None:
        raise RuntimeError(f"token={SECRET}")


async def _enqueue(db: async_sessionmaker[AsyncSession], count: int = 1) -> list[UUID]:
    async with transaction(db) as session:
        messages = [
            await enqueue_email(
                session, to=f"ada{n}@example.test", subject=f"Hello {n}", text=f"Body {n}"
            )
            for n in range(count)
        ]
    return [message.id for message in messages]


async def _rows(db: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with transaction(db, write=False) as session:
        return list((await session.scalars(select(OutboxMessage))).all())


async def _only_row(db: async_sessionmaker[AsyncSession]) -> OutboxMessage:
    [row] = await _rows(db)
    return row


def _dispatcher(
    db: async_sessionmaker[AsyncSession], sender: Sender, **kw: Any
) -> OutboxDispatcher:
    return OutboxDispatcher(db, sender, poll_seconds=None, **kw)


async def test_a_committed_email_is_delivered_over_smtp(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, smtp_server: SMTPServer
) -> None:
    async with transaction(db) as session:
        queued = await enqueue_email(
            session, to="ada@example.test", subject="Your booking", text="See you at 10:00."
        )
    dispatcher = _dispatcher(db, SMTPSender(smtp_server.url(), MAIL_FROM))
    assert await dispatcher.drain() == 1
    [received] = smtp_server.received
    assert received.envelope_to == ["ada@example.test"]
    assert received.envelope_from == "no-reply@example.test"
    assert received.message["To"] == "ada@example.test"
    assert received.message["Subject"] == "Your booking"
    assert received.message["Message-ID"] == f"<{queued.id}@example.test>"
    assert received.message.get_content().strip() == "See you at 10:00."
    row = await _only_row(db)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 1, clock.now(), None)
    assert await dispatcher.drain() == 0
    assert len(smtp_server.received) == 1


async def test_a_rolled_back_email_is_never_sent(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, smtp_server: SMTPServer
) -> None:
    async with open_session(db, write=True) as session:
        await enqueue_email(session, to="ada@example.test", subject="Nope", text="Never sent.")
        await session.rollback()
    assert await _dispatcher(db, SMTPSender(smtp_server.url(), MAIL_FROM)).drain() == 0
    assert smtp_server.received == []
    assert await _rows(db) == []


async def test_smtp_login_uses_the_url_credentials(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, smtp_server: SMTPServer
) -> None:
    await _enqueue(db)
    sender = SMTPSender(smtp_server.url("mailer:p%40ss%3Aword"), MAIL_FROM)
    assert await _dispatcher(db, sender).drain() == 1
    assert smtp_server.logins == [("mailer", "p@ss:word")]
    assert len(smtp_server.received) == 1


async def test_a_failed_send_backs_off_and_stores_no_credentials(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    await _enqueue(db)
    closed = f"smtp://mailer:{SECRET}@127.0.0.1:{free_port()}"
    dispatcher = _dispatcher(db, SMTPSender(closed, MAIL_FROM, timeout=5))
    assert await dispatcher.drain() == 0
    row = await _only_row(db)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.available_at == clock.now() + timedelta(seconds=30)
    assert row.last_error is not None
    assert "SMTPConnect" in row.last_error
    assert SECRET not in row.last_error
    assert await dispatcher.drain() == 0  # not due yet: nothing is tried
    assert (await _only_row(db)).attempts == 1
    clock.advance(timedelta(seconds=30))
    assert await dispatcher.drain() == 0
    row = await _only_row(db)
    assert row.attempts == 2
    assert row.available_at == clock.now() + timedelta(seconds=60)


async def test_a_server_reply_echoing_the_login_is_redacted(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, smtp_server: SMTPServer
) -> None:
    smtp_server.reply = f"554 5.7.1 mailer:{SECRET} may not send"
    await _enqueue(db)
    sender = SMTPSender(smtp_server.url(f"mailer:{SECRET}"), MAIL_FROM)
    assert await _dispatcher(db, sender).drain() == 0
    error = (await _only_row(db)).last_error
    assert error is not None
    assert "554" in error
    assert "***" in error
    assert SECRET not in error
    assert "mailer" not in error


async def test_unexpected_errors_are_stored_by_type_only(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    await _enqueue(db)
    assert await _dispatcher(db, BrokenSender()).drain() == 0
    assert (await _only_row(db)).last_error == "RuntimeError"


async def test_retries_back_off_exponentially_then_the_message_is_failed(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    await _enqueue(db)
    dispatcher = _dispatcher(db, BrokenSender(), max_attempts=4)
    for attempt, wait in ((1, 30), (2, 60), (3, 120)):
        assert await dispatcher.drain() == 0
        row = await _only_row(db)
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.available_at == clock.now() + timedelta(seconds=wait)
        clock.advance(timedelta(seconds=wait))
    assert await dispatcher.drain() == 0
    row = await _only_row(db)
    assert (row.status, row.attempts, row.sent_at) == ("failed", 4, None)
    clock.advance(timedelta(days=1))
    assert await dispatcher.drain() == 0
    assert (await _only_row(db)).attempts == 4


async def test_required_starttls_fails_against_a_server_without_it(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, smtp_server: SMTPServer
) -> None:
    await _enqueue(db)
    sender = SMTPSender(smtp_server.url(f"mailer:{SECRET}") + "?starttls=1", MAIL_FROM)
    assert await _dispatcher(db, sender).drain() == 0
    error = (await _only_row(db)).last_error
    assert error is not None
    assert "STARTTLS" in error.upper()
    assert smtp_server.logins == []  # the password never left in clear
    assert smtp_server.received == []


@pytest.fixture
async def other_process(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A second engine on the same database, as a second API process would have."""
    engine = create_engine(database_url, pool_size=2)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def test_two_dispatchers_send_each_message_exactly_once(
    db: async_sessionmaker[AsyncSession],
    other_process: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    queued = await _enqueue(db, count=20)
    first, second = RecordingSender(pause=0.002), RecordingSender(pause=0.002)
    sent = await asyncio.gather(
        _dispatcher(db, first).drain(),
        _dispatcher(other_process, second).drain(),
    )
    assert sum(sent) == 20
    assert Counter(first.sent + second.sent) == Counter(queued)
    assert {(row.status, row.attempts) for row in await _rows(db)} == {("sent", 1)}


async def test_a_row_locked_by_a_rival_claim_is_skipped_not_waited_for(
    db: async_sessionmaker[AsyncSession],
    other_process: async_sessionmaker[AsyncSession],
    engine_name: str,
    clock: FrozenClock,
) -> None:
    if engine_name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a rival claim holds the whole database")
    locked, *others = await _enqueue(db, count=3)
    sender = RecordingSender()
    async with transaction(other_process) as rival:
        # A rival sender mid-claim: the oldest row is locked and not yet leased.
        await rival.execute(
            select(OutboxMessage.id).where(OutboxMessage.id == locked).with_for_update()
        )
        # Plain FOR UPDATE would wait here for the rival's commit (and time out).
        sent = await asyncio.wait_for(_dispatcher(db, sender).drain(), timeout=10)
    assert sent == 2
    assert sorted(sender.sent) == sorted(others)
    statuses = {row.id: row.status for row in await _rows(db)}
    assert statuses[locked] == "pending"


async def test_a_message_being_sent_is_leased_to_its_sender(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    await _enqueue(db)
    rival = _dispatcher(db, RecordingSender())
    seen_by_rival: list[int] = []

    class SlowSender:
        async def send(self, message: OutboxMessage) -> None:
            seen_by_rival.append(await rival.drain())

    assert await _dispatcher(db, SlowSender()).drain() == 1
    assert seen_by_rival == [0]
    assert (await _only_row(db)).status == "sent"


async def test_an_expired_lease_hands_the_message_to_another_dispatcher(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    await _enqueue(db)
    rival_sending, release_rival = asyncio.Event(), asyncio.Event()
    rival_sent: list[UUID] = []
    rival_runs: list[asyncio.Task[int]] = []

    class RivalSender:
        async def send(self, message: OutboxMessage) -> None:
            rival_sending.set()
            await release_rival.wait()
            rival_sent.append(message.id)

    class StuckSender:
        async def send(self, message: OutboxMessage) -> None:
            clock.advance(timedelta(minutes=6))  # past the 5-minute lease
            rival_runs.append(asyncio.create_task(_dispatcher(db, RivalSender()).drain()))
            await rival_sending.wait()
            raise OSError("gave up")

    # The stale dispatcher reports its failure while the rival is still sending.
    assert await _dispatcher(db, StuckSender()).drain() == 0
    release_rival.set()
    assert await rival_runs[0] == 1
    assert len(rival_sent) == 1
    row = await _only_row(db)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)


async def test_a_started_dispatcher_delivers_on_notify_until_closed(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    sender = RecordingSender()
    dispatcher = _dispatcher(db, sender)
    [leftover] = await _enqueue(db)
    dispatcher.notify()
    await dispatcher.wait_idle()
    assert sender.sent == []  # not started: rows wait for an explicit drain
    dispatcher.start()
    await dispatcher.wait_idle()
    assert sender.sent == [leftover]  # start delivers what was left behind
    [fresh] = await _enqueue(db)
    for _ in range(3):
        dispatcher.notify()
    await dispatcher.wait_idle()
    assert sender.sent == [leftover, fresh]
    await dispatcher.close()
    await _enqueue(db)
    dispatcher.notify()
    await dispatcher.wait_idle()
    assert len(sender.sent) == 2
    assert sorted(row.status for row in await _rows(db)) == ["pending", "sent", "sent"]


async def _until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_the_poll_delivers_rows_nobody_notified_about(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    sender = RecordingSender()
    dispatcher = OutboxDispatcher(db, sender, poll_seconds=0.01)
    dispatcher.start()
    try:
        [queued] = await _enqueue(db)  # e.g. by another process, or a job
        await _until(lambda: sender.sent == [queued])
    finally:
        await dispatcher.close()
    await _enqueue(db)
    await asyncio.sleep(0.05)  # a few poll periods: a closed dispatcher stays quiet
    assert sender.sent == [queued]


async def test_production_without_smtp_keeps_messages_pending(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    await _enqueue(db)
    dispatcher = _dispatcher(db, UnconfiguredSender())
    with caplog.at_level(logging.ERROR, logger="frontdesk.outbox"):
        assert await dispatcher.drain() == 0
        assert await dispatcher.drain() == 0
    assert [r.levelname for r in caplog.records if r.name == "frontdesk.outbox"] == ["ERROR"]
    row = await _only_row(db)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)


async def test_enqueue_refuses_header_injection(db: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(db) as session:
        with pytest.raises(ValueError, match="single line"):
            await enqueue_email(session, to="ada@example.test", subject="Hi\nBcc: x", text="")
        with pytest.raises(ValueError, match="single line"):
            await enqueue_email(session, to="a@example.test\r\nBcc: x", subject="Hi", text="")
    assert await _rows(db) == []


async def test_plain_smtp_never_upgrades_on_its_own(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, starttls_server: SMTPServer
) -> None:
    await _enqueue(db)
    assert await _dispatcher(db, SMTPSender(starttls_server.url(), MAIL_FROM)).drain() == 1
    assert [received.over_tls for received in starttls_server.received] == [False]


async def test_starttls_verifies_the_server_certificate(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, starttls_server: SMTPServer
) -> None:
    await _enqueue(db)
    url = starttls_server.url(f"mailer:{SECRET}") + "?starttls=1"
    assert await _dispatcher(db, SMTPSender(url, MAIL_FROM)).drain() == 0
    assert "CERTIFICATE_VERIFY_FAILED" in ((await _only_row(db)).last_error or "")
    assert starttls_server.logins == []
    assert starttls_server.received == []


@pytest.mark.usefixtures("trust_test_certificate")
async def test_starttls_delivers_over_tls_to_a_trusted_server(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, starttls_server: SMTPServer
) -> None:
    await _enqueue(db)
    url = starttls_server.url(f"mailer:{SECRET}") + "?starttls=1"
    assert await _dispatcher(db, SMTPSender(url, MAIL_FROM)).drain() == 1
    assert starttls_server.logins == [("mailer", SECRET)]
    assert [received.over_tls for received in starttls_server.received] == [True]


@pytest.mark.usefixtures("trust_test_certificate")
async def test_smtps_delivers_over_implicit_tls(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, smtps_server: SMTPServer
) -> None:
    await _enqueue(db)
    sender = SMTPSender(smtps_server.url(scheme="smtps"), MAIL_FROM)
    assert await _dispatcher(db, sender).drain() == 1
    assert [received.over_tls for received in smtps_server.received] == [True]


@pytest.fixture
def mail_app(
    database_url: str, engine: AsyncEngine, db: object, smtp_server: SMTPServer
) -> FastAPI:
    app = create_app(make_settings(database_url, smtp_url=smtp_server.url()), engine=engine)

    @app.post("/_test/mail")
    async def mail(request: Request, session: DbSession) -> dict[str, str]:
        await enqueue_email(
            session, to="ada@example.test", subject="Hi", text="Hello.",
            dispatcher=request.app.state.outbox,
        )  # fmt: skip
        return {"status": "queued"}

    @app.post("/_test/mail-then-fail")
    async def mail_then_fail(request: Request, session: DbSession) -> dict[str, str]:
        await enqueue_email(
            session, to="bob@example.test", subject="Lost", text="Never.",
            dispatcher=request.app.state.outbox,
        )  # fmt: skip
        raise ConflictError("refused on purpose")

    return app


async def test_a_request_commit_wakes_the_app_outbox(
    mail_app: FastAPI, db: async_sessionmaker[AsyncSession], smtp_server: SMTPServer
) -> None:
    outbox: OutboxDispatcher = mail_app.state.outbox
    async with mail_app.router.lifespan_context(mail_app), asgi_client(mail_app) as client:
        assert (await client.post("/_test/mail")).status_code == 200
        await outbox.wait_idle()
        assert [r.message["To"] for r in smtp_server.received] == ["ada@example.test"]
        assert (await client.post("/_test/mail-then-fail")).status_code == 409
        await outbox.wait_idle()
    assert len(smtp_server.received) == 1
    assert [row.recipient for row in await _rows(db)] == ["ada@example.test"]


async def test_console_sender_logs_the_whole_message(caplog: pytest.LogCaptureFixture) -> None:
    message = OutboxMessage(recipient="ada@example.test", subject="Reset", body_text="Link: x")
    with caplog.at_level(logging.INFO, logger="frontdesk.mail"):
        await ConsoleSender().send(message)
    [record] = [r for r in caplog.records if r.name == "frontdesk.mail"]
    assert "ada@example.test" in record.getMessage()
    assert "Subject: Reset" in record.getMessage()
    assert record.getMessage().endswith("Link: x")


def test_sender_from_settings_picks_smtp_console_or_nothing() -> None:
    url = "sqlite+aiosqlite:///unused.db"
    smtp = make_settings(url, smtp_url="smtp://relay.example.test:2525")
    assert isinstance(sender_from_settings(smtp), SMTPSender)
    assert isinstance(sender_from_settings(make_settings(url)), ConsoleSender)
    production = make_settings(url, environment="production")
    assert isinstance(sender_from_settings(production), UnconfiguredSender)
    both = make_settings(url, environment="production", smtp_url="smtps://relay.example.test")
    assert isinstance(sender_from_settings(both), SMTPSender)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://mailer:p%40ss@mail.example.test:2525?starttls=1",
            SMTPConfig("mail.example.test", 2525, "mailer", "p@ss", start_tls=True),
        ),
        ("smtps://mail.example.test", SMTPConfig("mail.example.test", 465, use_tls=True)),
        ("smtp://relay.local", SMTPConfig("relay.local", 25)),
        ("smtp://relay.local?starttls=1", SMTPConfig("relay.local", 587, start_tls=True)),
    ],
)
def test_parse_smtp_url(url: str, expected: SMTPConfig) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url", ["http://mail.example.test", "smtp://", "smtps://mail.example.test?starttls=1"]
)
def test_parse_smtp_url_refuses_nonsense(url: str) -> None:
    with pytest.raises(ValueError, match="smtp"):
        parse_smtp_url(url)


def test_the_smtp_password_stays_out_of_reprs() -> None:
    assert SECRET not in repr(parse_smtp_url(f"smtp://mailer:{SECRET}@relay.local"))
