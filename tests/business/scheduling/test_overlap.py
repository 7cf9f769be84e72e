"""No staff member is ever double-booked: enforced by the database on both engines."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.scheduling.models import Appointment
from frontdesk.business.scheduling.overlap import (
    BookingConflictError,
    ensure_staff_free,
    overlap_guard,
)
from frontdesk.core.db import open_session
from frontdesk.core.deps import DbSession
from tests import factories

NINE = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def world(db: async_sessionmaker[AsyncSession]) -> dict[str, uuid.UUID]:
    """A staff member, a second one, a customer and two services, committed."""
    async with open_session(db, write=True) as session:
        staff = await factories.user(session, "stylist")
        other = await factories.user(session, "barber")
        client = await factories.customer(session)
        plain = await factories.service(session, minutes=60)
        buffered = await factories.service(session, minutes=60, before=10, after=15)
        await session.commit()
        return {
            "staff": staff.id,
            "other": other.id,
            "customer": client.id,
            "plain": plain.id,
            "buffered": buffered.id,
        }


async def _book(
    session: AsyncSession,
    world: dict[str, uuid.UUID],
    start: datetime,
    *,
    service: str = "plain",
    staff: str = "staff",
    status: str = "scheduled",
) -> Appointment:
    from frontdesk.business.scheduling.models import Service

    offering = await session.get_one(Service, world[service])
    row = Appointment(
        user_id=world[staff],
        customer_id=world["customer"],
        service_id=offering.id,
        appointment_date=start,
        ends_at=start + timedelta(minutes=offering.duration_minutes),
        blocked_from=start - timedelta(minutes=offering.buffer_before_minutes),
        blocked_until=start
        + timedelta(minutes=offering.duration_minutes + offering.buffer_after_minutes),
        status=status,
    )
    async with overlap_guard():
        session.add(row)
        await session.flush()
    return row


async def test_a_second_overlapping_appointment_is_refused(
    session: AsyncSession, world: dict[str, uuid.UUID]
) -> None:
    await _book(session, world, NINE)
    await session.commit()
    with pytest.raises(BookingConflictError):
        await _book(session, world, NINE + timedelta(minutes=30))


async def test_a_cancelled_appointment_does_not_block(
    session: AsyncSession, world: dict[str, uuid.UUID]
) -> None:
    await _book(session, world, NINE, status="cancelled")
    await _book(session, world, NINE + timedelta(minutes=30))
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(Appointment)) == 2


async def test_back_to_back_appointments_fit_half_open_ranges(
    session: AsyncSession, world: dict[str, uuid.UUID]
) -> None:
    await _book(session, world, NINE)
    await _book(session, world, NINE + timedelta(minutes=60))
    await session.commit()


async def test_buffers_are_part_of_the_blocked_time(
    session: AsyncSession, world: dict[str, uuid.UUID]
) -> None:
    await _book(session, world, NINE, service="buffered")  # blocks 08:50-10:15
    await session.commit()
    with pytest.raises(BookingConflictError):
        await _book(session, world, NINE + timedelta(minutes=60))  # 10:00 is in the buffer


async def test_another_staff_member_is_free_at_the_same_time(
    session: AsyncSession, world: dict[str, uuid.UUID]
) -> None:
    await _book(session, world, NINE)
    await _book(session, world, NINE, staff="other")
    await session.commit()


async def test_moving_or_reviving_into_an_overlap_is_refused(
    session: AsyncSession, world: dict[str, uuid.UUID]
) -> None:
    await _book(session, world, NINE)
    later = await _book(session, world, NINE + timedelta(hours=2))
    cancelled = await _book(session, world, NINE, status="cancelled")
    await session.commit()

    later.appointment_date = NINE + timedelta(minutes=30)
    later.ends_at = later.appointment_date + timedelta(hours=1)
    later.blocked_from, later.blocked_until = later.appointment_date, later.ends_at
    with pytest.raises(BookingConflictError):
        async with overlap_guard():
            await session.flush()
    await session.rollback()

    cancelled.status = "scheduled"
    with pytest.raises(BookingConflictError):
        async with overlap_guard():
            await session.flush()


async def test_the_early_check_names_the_conflict(
    session: AsyncSession, world: dict[str, uuid.UUID]
) -> None:
    await _book(session, world, NINE)
    with pytest.raises(BookingConflictError):
        await ensure_staff_free(session, world["staff"], NINE, NINE + timedelta(minutes=1))
    await ensure_staff_free(
        session, world["staff"], NINE + timedelta(hours=1), NINE + timedelta(hours=2)
    )


async def test_concurrent_overlapping_requests_give_exactly_one_success(
    db: async_sessionmaker[AsyncSession], world: dict[str, uuid.UUID]
) -> None:
    attempts = 6
    start_together = asyncio.Event()

    async def attempt(offset_minutes: int) -> str:
        # Each attempt is its own session on its own pooled connection.
        async with open_session(db, write=True) as session:
            await start_together.wait()
            try:
                await _book(session, world, NINE + timedelta(minutes=offset_minutes))
                await session.commit()
            except BookingConflictError:
                await session.rollback()
                return "conflict"
            return "booked"

    tasks = [asyncio.create_task(attempt(minute * 5)) for minute in range(attempts)]
    await asyncio.sleep(0)
    start_together.set()
    outcomes = await asyncio.gather(*tasks)
    assert outcomes.count("booked") == 1
    assert outcomes.count("conflict") == attempts - 1
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 1


async def test_an_overlap_caught_at_commit_answers_booking_conflict(
    app: FastAPI,
    client: httpx.AsyncClient,
    world: dict[str, uuid.UUID],
    db: async_sessionmaker[AsyncSession],
) -> None:
    async with open_session(db, write=True) as session:
        await _book(session, world, NINE)
        await session.commit()

    @app.post("/_test/double-book")
    async def double_book(session: DbSession) -> dict[str, str]:
        # Deliberately unchecked and unflushed: the database must still refuse at commit.
        session.add(
            Appointment(
                user_id=world["staff"],
                customer_id=world["customer"],
                service_id=world["plain"],
                appointment_date=NINE,
                ends_at=NINE + timedelta(hours=1),
                blocked_from=NINE,
                blocked_until=NINE + timedelta(hours=1),
            )
        )
        return {"status": "looks booked"}

    response = await client.post("/_test/double-book")
    assert response.status_code == 409
    assert response.json()["code"] == "booking_conflict"
