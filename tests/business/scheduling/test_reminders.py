"""Reminder emails through the worker: due once per start time, never twice, never for
cancelled or past appointments, and not to customers without an email or who opted out."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.scheduling.models import AppointmentReminder
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import create_engine, create_sessionmaker
from frontdesk.core.outbox import OutboxDispatcher, UnconfiguredSender
from frontdesk.core.outbox_models import OutboxMessage
from frontdesk.worker import PassReport, Worker
from tests.business.orders.test_booking import API, _body, _salon
from tests.security.audit.callers import Caller, signed_in, signed_in_again

BOOKED_AT = datetime(2026, 11, 28, 12, tzinfo=UTC)
START = datetime(2026, 12, 1, 8, tzinfo=UTC)  # NINE in Paris, as _body books it
DUE = START - timedelta(hours=24)  # the default reminder_hours_before


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[OutboxMessage] = []

    async def send(self, message: OutboxMessage) -> None:
        self.sent.append(message)


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    clock.set(BOOKED_AT)
    return await signed_in(app, db, role="admin")


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def worker(db: async_sessionmaker[AsyncSession], sender: RecordingSender) -> Worker:
    return Worker(db, OutboxDispatcher(db, sender, poll_seconds=None))


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def _salon_with_email(
    client: httpx.AsyncClient, admin: Caller, **customer: Any
) -> dict[str, Any]:
    salon = await _salon(client, admin, stylists=2)
    changes = {"email": "ada@example.com", **customer}
    await _ok(
        await client.patch(
            f"{API}/customers/{salon['customer']}", headers=admin.headers, json=changes
        )
    )
    return salon


async def _book(client: httpx.AsyncClient, admin: Caller, body: dict[str, Any]) -> dict[str, Any]:
    return await _ok(await client.post(f"{API}/bookings", headers=admin.headers, json=body))


async def _reminders(db: async_sessionmaker[AsyncSession]) -> list[AppointmentReminder]:
    async with db() as session:
        return list((await session.scalars(select(AppointmentReminder))).all())


async def test_a_reminder_goes_once_when_the_lead_time_begins(
    client: httpx.AsyncClient,
    admin: Caller,
    clock: FrozenClock,
    worker: Worker,
    sender: RecordingSender,
    db: async_sessionmaker[AsyncSession],
) -> None:
    salon = await _salon_with_email(client, admin)
    booking = await _book(client, admin, _body(salon, salon["staff"][0]))
    assert await worker.run_once() == PassReport(reminders_queued=0, emails_sent=0)
    clock.set(DUE - timedelta(minutes=1))
    assert await worker.run_once() == PassReport(reminders_queued=0, emails_sent=0)
    clock.set(DUE)
    assert await worker.run_once() == PassReport(reminders_queued=1, emails_sent=1)
    clock.advance(timedelta(hours=1))
    assert await worker.run_once() == PassReport(reminders_queued=0, emails_sent=0)

    [message] = sender.sent
    assert message.recipient == "ada@example.com"
    assert message.subject == "Reminder: Cut on 01 Dec at 09:00"  # Paris time
    assert "Tuesday 01 December 2026, 09:00-10:00 (Europe/Paris)" in message.body_text
    assert "Cut with stylist0" in message.body_text
    assert message.meta["appointment_id"] == booking["appointment"]["id"]
    [reminder] = await _reminders(db)
    assert (reminder.outcome, reminder.outbox_message_id) == ("queued", message.id)


async def test_cancelled_and_past_appointments_are_not_reminded(
    client: httpx.AsyncClient,
    admin: Caller,
    clock: FrozenClock,
    worker: Worker,
    sender: RecordingSender,
) -> None:
    salon = await _salon_with_email(client, admin)
    cancelled = await _book(client, admin, _body(salon, salon["staff"][0]))
    await _book(client, admin, _body(salon, salon["staff"][1]))
    await _ok(
        await client.post(
            f"{API}/bookings/{cancelled['id']}/cancel",
            headers=admin.headers,
            json={"reason": "the customer called"},
        )
    )
    clock.set(START)  # the worker was down through the whole lead time
    assert await worker.run_once() == PassReport(reminders_queued=0, emails_sent=0)
    assert sender.sent == []


async def test_a_moved_appointment_is_reminded_for_its_new_time(
    app: FastAPI,
    db: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    admin: Caller,
    clock: FrozenClock,
    worker: Worker,
    sender: RecordingSender,
) -> None:
    salon = await _salon_with_email(client, admin)
    await _ok(
        await client.patch(
            f"{API}/settings/business",
            headers=admin.headers,
            json={"reschedule_cutoff_minutes": 0},
        )
    )
    booking = await _book(client, admin, _body(salon, salon["staff"][0]))
    clock.set(DUE)
    assert (await worker.run_once()).reminders_queued == 1
    desk = await signed_in_again(app, db, admin.user_id)
    await _ok(
        await client.post(
            f"{API}/bookings/{booking['id']}/reschedule",
            headers=desk.headers,
            json={"start": "2026-12-01T10:15:00+01:00"},
        )
    )
    clock.set(DUE + timedelta(minutes=75))
    assert await worker.run_once() == PassReport(reminders_queued=1, emails_sent=1)
    assert [message.subject for message in sender.sent] == [
        "Reminder: Cut on 01 Dec at 09:00",
        "Reminder: Cut on 01 Dec at 10:15",
    ]


@pytest.mark.parametrize(
    ("customer", "outcome"),
    [
        ({"email": None}, "no_email"),
        ({"preferences": {"appointment_reminders": False}}, "opted_out"),
    ],
)
async def test_no_email_or_an_opt_out_is_recorded_and_nothing_is_sent(
    client: httpx.AsyncClient,
    admin: Caller,
    clock: FrozenClock,
    worker: Worker,
    sender: RecordingSender,
    db: async_sessionmaker[AsyncSession],
    customer: dict[str, Any],
    outcome: str,
) -> None:
    salon = await _salon_with_email(client, admin, **customer)
    await _book(client, admin, _body(salon, salon["staff"][0]))
    clock.set(DUE)
    assert await worker.run_once() == PassReport(reminders_queued=0, emails_sent=0)
    assert await worker.run_once() == PassReport(reminders_queued=0, emails_sent=0)
    assert sender.sent == []
    assert [reminder.outcome for reminder in await _reminders(db)] == [outcome]


async def test_a_lead_time_of_zero_turns_reminders_off(
    client: httpx.AsyncClient,
    admin: Caller,
    clock: FrozenClock,
    worker: Worker,
    db: async_sessionmaker[AsyncSession],
) -> None:
    salon = await _salon_with_email(client, admin)
    await _ok(
        await client.patch(
            f"{API}/settings/business", headers=admin.headers, json={"reminder_hours_before": 0}
        )
    )
    await _book(client, admin, _body(salon, salon["staff"][0]))
    clock.set(START - timedelta(minutes=5))
    assert await worker.run_once() == PassReport(reminders_queued=0, emails_sent=0)
    assert await _reminders(db) == []


@pytest.fixture
async def second_worker_db(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Another process's engine on the same database."""
    engine = create_engine(database_url, pool_size=2)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def test_two_workers_never_remind_or_send_twice(
    client: httpx.AsyncClient,
    admin: Caller,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    second_worker_db: async_sessionmaker[AsyncSession],
    engine_name: str,
) -> None:
    if engine_name != "postgresql":
        pytest.skip("SQLite runs one worker (frontdesk.worker.single_worker_lock)")
    salon = await _salon_with_email(client, admin)
    await _ok(
        await client.patch(
            f"{API}/settings/business", headers=admin.headers, json={"reminder_hours_before": 168}
        )
    )
    booked = []
    for day in range(1, 8):  # two slots a day for each of the two stylists
        for start in ("09:00", "10:15"):
            for staff in salon["staff"]:
                when = f"2026-12-{day:02d}T{start}:00+01:00"
                booked.append(await _book(client, admin, _body(salon, staff, start=when)))
    clock.set(datetime(2026, 11, 30, 12, tzinfo=UTC))  # every one of them is within a week
    senders = RecordingSender(), RecordingSender()
    workers = [
        Worker(maker, OutboxDispatcher(maker, sender, poll_seconds=None))
        for maker, sender in zip((db, second_worker_db), senders, strict=True)
    ]
    reports = await asyncio.gather(*(worker.run_once() for worker in workers))
    assert sum(report.reminders_queued for report in reports) == len(booked) == 28
    sent = [message.meta["appointment_id"] for sender in senders for message in sender.sent]
    assert Counter(sent) == Counter(booking["appointment"]["id"] for booking in booked)
    assert sum(report.emails_sent for report in reports) == 28
    async with db() as session:
        outbox = (await session.scalars(select(OutboxMessage.status))).all()
    assert Counter(outbox) == {"sent": 28}


async def test_erasing_the_customer_deletes_the_reminder_emails_and_queues_no_more(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    salon = await _salon_with_email(client, admin)
    await _book(client, admin, _body(salon, salon["staff"][0]))
    clock.set(DUE)
    unsent = Worker(db, OutboxDispatcher(db, UnconfiguredSender(), poll_seconds=None))
    assert (await unsent.run_once()).reminders_queued == 1  # queued, not yet delivered
    desk = await signed_in_again(app, db, admin.user_id)
    erased = await client.post(f"{API}/customers/{salon['customer']}/erase", headers=desk.headers)
    assert erased.status_code == 200, erased.text
    async with db() as session:
        assert (await session.scalars(select(OutboxMessage))).all() == []
    [reminder] = await _reminders(db)
    assert (reminder.outcome, reminder.outbox_message_id) == ("queued", None)
    assert (await unsent.run_once()).reminders_queued == 0
