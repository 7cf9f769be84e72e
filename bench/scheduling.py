"""The data of the scheduling scenarios: the teams they use (made by make_schedule.py with
frontdesk's own services), appointments bulk-inserted by PostgreSQL itself, the week
availability is measured on, the grid of slots bookings are placed in, and the checks
run after the booking scenario.

Everything is UTC: make_schedule.py sets the business time zone to UTC, so working hours,
the slot grid and the SQL below agree without DST arithmetic.
"""

from __future__ import annotations

import asyncio
import json
import time as clock
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

import asyncpg

import database
from common import BenchError, say
from frontdesk.business.scheduling.models import BLOCKING_STATUSES

# The business rules both scenarios run under, whatever the defaults (make_schedule.py
# writes them): the measured week and the booking grid lie between notice and horizon.
TIME_ZONE = "UTC"
SLOT_STEP_MINUTES = 15
MIN_NOTICE_MINUTES = 60
HORIZON_DAYS = 365
# The one service of a team: with its buffers, every appointment blocks exactly one hour.
SERVICE_MINUTES = 45
BUFFER_BEFORE_MINUTES = 5
BUFFER_AFTER_MINUTES = 10
# (ISO weekday, start, end): Monday to Friday 09:00-13:00 and 14:00-18:00, Saturday
# 10:00-14:00, Sunday off.
WORKING_WEEK: tuple[tuple[int, time, time], ...] = (
    *((weekday, time(9), time(13)) for weekday in range(1, 6)),
    *((weekday, time(14), time(18)) for weekday in range(1, 6)),
    (6, time(10), time(14)),
)
# The measured week is half booked: Monday to Friday at these hours (and a quarter past),
# so availability has free slots to compute around busy ones.
WEEK_HOURS = (9, 11, 14, 16)
WEEK_DAYS = 5
# Every other appointment fills whole days outside the measured week, at these hours (and
# a quarter past): back to back, never overlapping (see BACKGROUND_SQL).
BACKGROUND_HOURS = (9, 10, 11, 12, 14, 15, 16, 17)
# Whole days after the measured week that stay inside the horizon: the week ends at most
# 21 days from today; one day more of slack for the hour of the day.
DAYS_AFTER_WEEK = HORIZON_DAYS - 22
INSERT_CHUNK = 250_000  # rows per INSERT ... SELECT, for progress lines and short transactions
SETTLE_POLL_S = 0.5
SETTLE_TIMEOUT_S = 30.0

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class TeamSpec:
    """A team make_schedule.py creates: usernames ``<prefix>-staff-NN``, customers
    ``<prefix> customer NN``, the service ``<prefix> service``."""

    prefix: str
    staff: int
    customers: int


TEAMS = {
    "availability": TeamSpec("bench-avail", staff=8, customers=50),
    "booking": TeamSpec("bench-book", staff=5, customers=50),
}


@dataclass(frozen=True)
class Team:
    """What make_schedule.py created, as it prints it on stdout."""

    service_id: uuid.UUID
    staff_ids: tuple[uuid.UUID, ...]
    customer_ids: tuple[uuid.UUID, ...]

    def to_json(self) -> str:
        return json.dumps(
            {
                "service_id": str(self.service_id),
                "staff_ids": [str(each) for each in self.staff_ids],
                "customer_ids": [str(each) for each in self.customer_ids],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Team:
        raw = json.loads(text)
        return cls(
            service_id=uuid.UUID(raw["service_id"]),
            staff_ids=tuple(uuid.UUID(each) for each in raw["staff_ids"]),
            customer_ids=tuple(uuid.UUID(each) for each in raw["customer_ids"]),
        )


def iso(moment: datetime) -> str:
    """An instant as the API takes it, with a Z (a "+00:00" would need URL-encoding)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def measured_week(today: date) -> Interval:
    """Monday 00:00 to the next Monday 00:00 of the week after next (8 to 14 days ahead):
    past the minimum notice, well inside the horizon, and a whole week of every weekday."""
    monday = today + timedelta(days=7 - today.weekday() + 7)
    start = datetime.combine(monday, time(0), tzinfo=UTC)
    return start, start + timedelta(days=7)


def availability_path(service_id: uuid.UUID, window: Interval) -> str:
    query = urlencode({"service_id": str(service_id), "from": iso(window[0]), "to": iso(window[1])})
    return f"/api/v1/availability?{query}"


def booking_grid(first_day: date, days: int) -> list[datetime]:
    """Every start a booking of the service can take on ``days`` days from ``first_day``
    while nothing is booked: on the slot grid, the whole service inside a working range."""
    step = timedelta(minutes=SLOT_STEP_MINUTES)
    duration = timedelta(minutes=SERVICE_MINUTES)
    starts: list[datetime] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for weekday, begins, ends in WORKING_WEEK:
            if weekday != day.isoweekday():
                continue
            start = datetime.combine(day, begins, tzinfo=UTC)
            while start + duration <= datetime.combine(day, ends, tzinfo=UTC):
                starts.append(start)
                start += step
    return sorted(starts)


def week_appointments(team: Team) -> int:
    return len(team.staff_ids) * WEEK_DAYS * len(WEEK_HOURS)


# Both inserts write the same columns: $1 the staff ids, $2 the customer ids, $3 the service,
# $4-$6 its duration and buffers; their `slot` yields user_id, customer_id, starts, status.
# The measured week ($7 its Monday, $8 WEEK_HOURS): every staff member, Monday to Friday.
WEEK_SQL = """
INSERT INTO appointments (id, user_id, customer_id, service_id, appointment_date, ends_at,
                          blocked_from, blocked_until, status, created_at, updated_at)
SELECT gen_random_uuid(), user_id, customer_id, $3, starts, starts + $4::interval,
       starts - $5::interval, starts + $4::interval + $6::interval, status, now(), now()
FROM (
    SELECT staff.user_id,
           ($2::uuid[])[1 + ((staff.n * 7 + day * 4 + hour) % cardinality($2::uuid[]))::int]
               AS customer_id,
           $7::timestamptz + make_interval(days => day, hours => hour, mins => 15) AS starts,
           'confirmed' AS status
    FROM unnest($1::uuid[]) WITH ORDINALITY AS staff (user_id, n),
         generate_series(0, 4) AS day,
         unnest($8::int[]) AS hour
) AS slot
"""
# Background appointment g (from $10 up to $11) is staff member g % n's k-th, k = g / n,
# placed on whole days of BACKGROUND_HOURS ($9): its first 2 * $12 alternate between the
# days after the measured week (from $8, its next Monday) and the days before it (back
# from $7, its Monday); beyond those the days after are full up to the horizon (nothing is
# booked further ahead), so the rest go further back, years into the past. Each (staff
# member, k) is its own one-hour block: nothing overlaps by construction, and a later call
# continuing at the next g never overlaps an earlier one. About 1 in 20 is cancelled; the
# rest are completed when past, confirmed when ahead.
BACKGROUND_SQL = """
INSERT INTO appointments (id, user_id, customer_id, service_id, appointment_date, ends_at,
                          blocked_from, blocked_until, status, created_at, updated_at)
SELECT gen_random_uuid(), user_id, customer_id, $3, starts, starts + $4::interval,
       starts - $5::interval, starts + $4::interval + $6::interval, status, now(), now()
FROM (
    SELECT ($1::uuid[])[1 + (g % cardinality($1::uuid[]))::int] AS user_id,
           ($2::uuid[])[1 + (g % cardinality($2::uuid[]))::int] AS customer_id,
           g,
           g / cardinality($1::uuid[]) AS k
    FROM generate_series($10::bigint, $11::bigint - 1) AS g
) AS numbered,
LATERAL (
    SELECT k < 2 * $12::bigint AND k % 2 = 1 AS after_week,  -- else before it
           CASE WHEN k < 2 * $12::bigint THEN k / 2 ELSE k - $12::bigint END AS j  -- its j-th
) AS side,
LATERAL (
    SELECT CASE WHEN after_week
                THEN $8::timestamptz + make_interval(days => (j / cardinality($9::int[]))::int)
                ELSE $7::timestamptz
                     - make_interval(days => (1 + j / cardinality($9::int[]))::int)
           END
           + make_interval(
               hours => ($9::int[])[1 + (j % cardinality($9::int[]))::int], mins => 15
           ) AS starts
) AS placed,
LATERAL (
    SELECT CASE WHEN g % 20 = 7 THEN 'cancelled'
                WHEN starts < now() THEN 'completed'
                ELSE 'confirmed'
           END AS status
) AS slot
"""
COUNT_SQL = "SELECT count(*) FROM appointments WHERE user_id = ANY($1::uuid[])"
# Two time-holding appointments (frontdesk's own BLOCKING_STATUSES) of one staff member
# whose blocked ranges overlap, half-open as the exclusion constraint has them: must be none.
DOUBLE_BOOKINGS_SQL = """
SELECT count(*)
FROM appointments AS a
JOIN appointments AS b
  ON b.user_id = a.user_id AND a.id < b.id
 AND a.blocked_from < b.blocked_until AND b.blocked_from < a.blocked_until
WHERE a.user_id = ANY($1::uuid[]) AND a.status = ANY($2::text[]) AND b.status = ANY($2::text[])
"""


def _shape(team: Team) -> tuple[object, ...]:
    return (
        list(team.staff_ids),
        list(team.customer_ids),
        team.service_id,
        timedelta(minutes=SERVICE_MINUTES),
        timedelta(minutes=BUFFER_BEFORE_MINUTES),
        timedelta(minutes=BUFFER_AFTER_MINUTES),
    )


async def _count(conn: asyncpg.Connection, staff_ids: Sequence[uuid.UUID]) -> int:
    return int(await conn.fetchval(COUNT_SQL, list(staff_ids)))


async def _fill(url: str, team: Team, week: Interval, total: int) -> int:
    in_week = week_appointments(team)
    if total < in_week:
        raise BenchError(f"{total} appointments cannot hold the measured week's {in_week}")
    conn = await database.connect(url)
    try:
        await conn.execute("SET TIME ZONE 'UTC'")  # days are 24 hours in the SQL's arithmetic
        existing = await _count(conn, team.staff_ids)
        if existing == 0:
            await conn.execute(WEEK_SQL, *_shape(team), week[0], list(WEEK_HOURS))
            existing = in_week
        for first in range(existing - in_week, total - in_week, INSERT_CHUNK):
            last = min(first + INSERT_CHUNK, total - in_week)
            started = clock.monotonic()
            await conn.execute(
                BACKGROUND_SQL,
                *_shape(team),
                *week,
                list(BACKGROUND_HOURS),
                first,
                last,
                DAYS_AFTER_WEEK * len(BACKGROUND_HOURS),
            )
            say(f"appointments: {in_week + last:,} ({clock.monotonic() - started:.1f} s)")
        return await _count(conn, team.staff_ids)
    finally:
        await conn.close()


def fill_appointments(url: str, team: Team, week: Interval, total: int) -> int:
    """Bring the team's appointments up to ``total``: the half-booked measured week, then
    the rest around it (see BACKGROUND_SQL). Returns how many the team has."""
    return asyncio.run(_fill(url, team, week, total))


async def _count_of(url: str, staff_ids: Sequence[uuid.UUID]) -> int:
    conn = await database.connect(url)
    try:
        return await _count(conn, staff_ids)
    finally:
        await conn.close()


def count_appointments(url: str, staff_ids: Sequence[uuid.UUID]) -> int:
    return asyncio.run(_count_of(url, staff_ids))


async def _settled_count(url: str, staff_ids: Sequence[uuid.UUID]) -> int:
    """The staff's appointments once the count stops moving: requests wrk left in flight
    when it stopped may still be committing."""
    conn = await database.connect(url)
    try:
        deadline = clock.monotonic() + SETTLE_TIMEOUT_S
        previous = -1
        while clock.monotonic() < deadline:
            current = await _count(conn, staff_ids)
            if current == previous:
                return current
            previous = current
            await asyncio.sleep(SETTLE_POLL_S)
        raise BenchError(f"appointments still being written {SETTLE_TIMEOUT_S:.0f} s after wrk")
    finally:
        await conn.close()


def settled_count(url: str, staff_ids: Sequence[uuid.UUID]) -> int:
    return asyncio.run(_settled_count(url, staff_ids))


async def _double_bookings(url: str, staff_ids: Sequence[uuid.UUID]) -> int:
    conn = await database.connect(url)
    try:
        return int(
            await conn.fetchval(DOUBLE_BOOKINGS_SQL, list(staff_ids), list(BLOCKING_STATUSES))
        )
    finally:
        await conn.close()


def double_bookings(url: str, staff_ids: Sequence[uuid.UUID]) -> int:
    """Pairs of overlapping time-holding appointments of one of ``staff_ids``."""
    return asyncio.run(_double_bookings(url, staff_ids))
