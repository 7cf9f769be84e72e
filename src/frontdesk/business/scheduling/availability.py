"""Bookable start times: working hours minus time off, closures and appointments.

The rule is a pure function (:func:`open_slots`) over plain intervals, so it is tested
directly, DST days included; :func:`availability` loads what it needs in a handful of
queries. A start ``t`` is offered to a staff member when:

- the service, ``[t, t + duration)``, fits inside one of their working ranges that day
  (wall-clock times in the business time zone, turned into instants for that date);
- it overlaps none of their time off and no closure of the business;
- its blocked range, ``[t - buffer_before, t + duration + buffer_after)``, overlaps no
  blocked range of their time-holding appointments: the same rule the database enforces,
  so an offered slot is one the booking can take;
- ``t`` is on the slot grid (multiples of ``slot_step_minutes`` since local midnight,
  which the step divides), at least
  ``min_notice_minutes`` from now, at most ``horizon_days`` ahead, and inside the window
  asked for.

Across DST changes the working ranges keep their wall-clock times (09:00 stays 09:00); a
boundary that falls in a spring-forward gap is read with the offset before the change
(02:30 becomes 03:30), an ambiguous one as its first occurrence.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.scheduling.models import (
    Appointment,
    Service,
    StaffService,
    StaffTimeOff,
    StaffWorkingHours,
)
from frontdesk.business.scheduling.overlap import holding_time_within
from frontdesk.business.settings.models import BusinessSettings
from frontdesk.security.auth.models import User

MAX_WINDOW = timedelta(days=31)

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Rules:
    zone: ZoneInfo
    step: timedelta
    earliest: datetime  # now + minimum notice
    latest: datetime  # now + horizon

    @classmethod
    def of(cls, settings: BusinessSettings, now: datetime) -> Rules:
        return cls(
            zone=ZoneInfo(settings.time_zone),
            step=timedelta(minutes=settings.slot_step_minutes),
            earliest=now + timedelta(minutes=settings.min_notice_minutes),
            latest=now + timedelta(days=settings.horizon_days),
        )


@dataclass(frozen=True)
class Shape:
    """How long a booking of the service takes, and the time it keeps free around it."""

    duration: timedelta
    before: timedelta
    after: timedelta

    @classmethod
    def of(cls, service: Service) -> Shape:
        return cls(
            timedelta(minutes=service.duration_minutes),
            timedelta(minutes=service.buffer_before_minutes),
            timedelta(minutes=service.buffer_after_minutes),
        )


@dataclass(frozen=True)
class Week:
    """One staff member's weekly ranges: ISO weekday -> [(start, end)] wall-clock times."""

    ranges: dict[int, list[tuple[time, time]]]


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _on_grid(wall: time, step: timedelta) -> time | None:
    """The first wall-clock time at or after ``wall`` on the day's slot grid (a multiple
    of ``step`` since midnight), or ``None`` past the end of the day."""
    minutes = wall.hour * 60 + wall.minute + (1 if wall.second or wall.microsecond else 0)
    size = int(step.total_seconds() // 60)
    aligned = -(-minutes // size) * size
    return None if aligned >= 24 * 60 else time(aligned // 60, aligned % 60)


def working_intervals(
    week: Week, rules: Rules, start: datetime, end: datetime
) -> Iterator[Interval]:
    """The week's ranges as instants, for every local date that touches [start, end),
    each starting on the slot grid."""
    day = start.astimezone(rules.zone).date() - timedelta(days=1)
    last = end.astimezone(rules.zone).date() + timedelta(days=1)
    while day <= last:
        for wall_start, wall_end in week.ranges.get(day.isoweekday(), []):
            first = _on_grid(wall_start, rules.step)
            if first is None:
                continue
            begins = _instant(day, first, rules.zone)
            ends = _instant(day, wall_end, rules.zone)
            if begins < ends:
                yield begins, ends
        day += timedelta(days=1)


def _overlaps(start: datetime, end: datetime, intervals: Sequence[Interval]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in intervals)


def open_slots(
    *,
    week: Week,
    shape: Shape,
    rules: Rules,
    window: Interval,
    away: Sequence[Interval],
    busy: Sequence[Interval],
) -> list[datetime]:
    """Every start the rules allow for one staff member, in order (see the module doc).

    ``away``: time off and closures; ``busy``: blocked ranges of time-holding
    appointments.
    """
    window_start = max(window[0], rules.earliest)
    window_end = min(window[1], rules.latest + timedelta(microseconds=1))
    slots: list[datetime] = []
    for range_start, range_end in working_intervals(week, rules, *window):
        if range_end <= window_start or range_start >= window_end:
            continue
        # Only what meets this range can refuse one of its starts: a short list each.
        away_here = _meeting(away, range_start, range_end)
        busy_here = _meeting(busy, range_start - shape.before, range_end + shape.after)
        start = range_start
        while start + shape.duration <= range_end:
            end = start + shape.duration
            if (
                window_start <= start < window_end
                and not _overlaps(start, end, away_here)
                and not _overlaps(start - shape.before, end + shape.after, busy_here)
            ):
                slots.append(start)
            start += rules.step
    return sorted(set(slots))


def _meeting(intervals: Sequence[Interval], start: datetime, end: datetime) -> list[Interval]:
    return [interval for interval in intervals if interval[0] < end and start < interval[1]]


@dataclass(frozen=True)
class StaffSlots:
    staff_id: uuid.UUID
    slots: list[datetime]


async def availability(
    session: AsyncSession,
    *,
    service: Service,
    settings: BusinessSettings,
    window: Interval,
    now: datetime,
    staff_id: uuid.UUID | None,
    ignoring: uuid.UUID | None = None,
) -> list[StaffSlots]:
    """Open slots of every active staff member who performs ``service`` (or only
    ``staff_id``), in a handful of queries whatever the number of staff. ``ignoring``:
    an appointment whose time counts as free (the one being moved)."""
    people = await performers(session, service.id, staff_id)
    if not people:
        return []
    shape, rules = Shape.of(service), Rules.of(settings, now)
    # Wide enough for any range, time off or appointment that can touch the window.
    margin = timedelta(days=1) + shape.duration + shape.before + shape.after
    reach = (window[0] - margin, window[1] + margin)
    weeks = await _weeks(session, people)
    away, closures = await _time_off(session, people, reach)
    busy = await _busy(session, people, reach, ignoring)
    return [
        StaffSlots(
            person,
            open_slots(
                week=weeks.get(person, Week({})),
                shape=shape,
                rules=rules,
                window=window,
                away=[*away.get(person, []), *closures],
                busy=busy.get(person, []),
            ),
        )
        for person in people
    ]


async def performers(
    session: AsyncSession, service_id: uuid.UUID, staff_id: uuid.UUID | None
) -> list[uuid.UUID]:
    """Active staff who perform the service (or just ``staff_id``, if they do)."""
    query = (
        select(StaffService.user_id)
        .join(User, User.id == StaffService.user_id)
        .where(
            StaffService.service_id == service_id,
            User.is_active.is_(True),
            User.is_customer.is_(False),
        )
        .order_by(StaffService.user_id)
    )
    if staff_id is not None:
        query = query.where(StaffService.user_id == staff_id)
    return list(await session.scalars(query))


async def _weeks(session: AsyncSession, people: Iterable[uuid.UUID]) -> dict[uuid.UUID, Week]:
    rows = await session.execute(
        select(
            StaffWorkingHours.user_id,
            StaffWorkingHours.weekday,
            StaffWorkingHours.start_time,
            StaffWorkingHours.end_time,
        ).where(StaffWorkingHours.user_id.in_(list(people)))
    )
    weeks: dict[uuid.UUID, Week] = {}
    for person, weekday, start, end in rows:
        weeks.setdefault(person, Week({})).ranges.setdefault(weekday, []).append((start, end))
    return weeks


async def _time_off(
    session: AsyncSession, people: Sequence[uuid.UUID], reach: Interval
) -> tuple[dict[uuid.UUID, list[Interval]], list[Interval]]:
    rows = await session.execute(
        select(StaffTimeOff.user_id, StaffTimeOff.starts_at, StaffTimeOff.ends_at).where(
            or_(StaffTimeOff.user_id.in_(people), StaffTimeOff.user_id.is_(None)),
            StaffTimeOff.starts_at < reach[1],
            StaffTimeOff.ends_at > reach[0],
        )
    )
    away: dict[uuid.UUID, list[Interval]] = {}
    closures: list[Interval] = []
    for person, starts, ends in rows:
        if person is None:
            closures.append((starts, ends))
        else:
            away.setdefault(person, []).append((starts, ends))
    return away, closures


async def _busy(
    session: AsyncSession,
    people: Sequence[uuid.UUID],
    reach: Interval,
    ignoring: uuid.UUID | None,
) -> dict[uuid.UUID, list[Interval]]:
    dialect_name = (await session.connection()).dialect.name
    query = select(Appointment.user_id, Appointment.blocked_from, Appointment.blocked_until).where(
        Appointment.user_id.in_(people), *holding_time_within(dialect_name, *reach)
    )
    if ignoring is not None:
        query = query.where(Appointment.id != ignoring)
    rows = await session.execute(query)
    busy: dict[uuid.UUID, list[Interval]] = {}
    for person, starts, ends in rows:
        busy.setdefault(person, []).append((starts, ends))
    return busy
