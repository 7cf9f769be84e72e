"""The no-double-booking rule, shared by everything that places or moves appointments.

The database is the guarantee: an exclusion constraint on PostgreSQL, triggers on
SQLite (where every write transaction starts with BEGIN IMMEDIATE, so the check and
the write cannot interleave with another writer). This module adds the friendly
early check and maps the database's refusal to one ``booking_conflict`` problem.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import BindParameter, ColumnElement, bindparam, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.scheduling.models import (
    BLOCKING_STATUSES,
    OVERLAP_CONSTRAINT,
    Appointment,
)
from frontdesk.core.errors import ConflictError, register_code, register_constraint
from frontdesk.core.types import UTCDateTime

HALF_OPEN: ColumnElement[str] = literal_column(
    "'[)'"
)  # as the exclusion constraint builds its ranges

BOOKING_CONFLICT = register_code("booking_conflict", 409, "Time slot already taken")


class BookingConflictError(ConflictError):
    error = BOOKING_CONFLICT

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or "The staff member is already booked at that time.")


register_constraint(OVERLAP_CONSTRAINT, BookingConflictError)


def is_overlap_violation(exc: IntegrityError) -> bool:
    return OVERLAP_CONSTRAINT in str(exc.orig)


def holding_time_within(
    dialect_name: str, blocked_from: datetime, blocked_until: datetime
) -> list[ColumnElement[bool]]:
    """Conditions for the appointments whose blocked range meets [from, until) and hold
    their staff member's time.

    On PostgreSQL they add the exclusion constraint's own terms: the range overlap and the
    statuses written inline, so the planner can prove its partial GiST index applies. With
    the statuses as bound values a generic (prepared) plan cannot, and falls back to a
    scan of every appointment, whose cost grows with the table. SQLite (no range types)
    uses the plain comparisons and the (user_id, appointment_date) index.
    """
    statuses: BindParameter[list[str]] = bindparam(
        None, list(BLOCKING_STATUSES), expanding=True, literal_execute=True
    )
    conditions = [
        Appointment.status.in_(statuses),
        Appointment.blocked_from < blocked_until,
        Appointment.blocked_until > blocked_from,
    ]
    if dialect_name == "postgresql":
        wanted = func.tstzrange(
            bindparam(None, blocked_from, type_=UTCDateTime()),
            bindparam(None, blocked_until, type_=UTCDateTime()),
            HALF_OPEN,
        )
        held = func.tstzrange(Appointment.blocked_from, Appointment.blocked_until, HALF_OPEN)
        conditions.append(held.op("&&")(wanted))
    return conditions


async def find_overlapping(
    session: AsyncSession,
    staff_id: uuid.UUID,
    blocked_from: datetime,
    blocked_until: datetime,
    *,
    exclude_id: uuid.UUID | None = None,
) -> Appointment | None:
    """The first blocking appointment of ``staff_id`` that meets [from, until)."""
    dialect_name = (await session.connection()).dialect.name
    query = select(Appointment).where(
        Appointment.user_id == staff_id,
        *holding_time_within(dialect_name, blocked_from, blocked_until),
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def ensure_staff_free(
    session: AsyncSession,
    staff_id: uuid.UUID,
    blocked_from: datetime,
    blocked_until: datetime,
    *,
    exclude_id: uuid.UUID | None = None,
) -> None:
    """Refuse early with a clear error; the constraint still decides under races."""
    if await find_overlapping(
        session, staff_id, blocked_from, blocked_until, exclude_id=exclude_id
    ):
        raise BookingConflictError


@asynccontextmanager
async def overlap_guard() -> AsyncIterator[None]:
    """Turn the database's overlap refusal (at flush) into :class:`BookingConflictError`."""
    try:
        yield
    except IntegrityError as exc:
        if is_overlap_violation(exc):
            raise BookingConflictError from exc
        raise
