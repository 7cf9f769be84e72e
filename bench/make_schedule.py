"""Create a scheduling scenario's team in one process, in one transaction.

    python bench/make_schedule.py TEAM ACTOR

TEAM names an entry of ``scheduling.TEAMS``: that many staff accounts who perform one new
service (45 minutes, 5 and 10 minutes of buffers) and work ``scheduling.WORKING_WEEK``,
and that many customer profiles. It also sets the business rules the scenarios rely on
(UTC, 15-minute slots, 60 minutes of notice, a 365-day horizon). Everything goes through
frontdesk's own services, audited as ACTOR (the bench admin's username), exactly like
changes made through the API. Prints the team as JSON on stdout (``scheduling.Team``).

Run by ``scenarios.py`` in the server's environment (``FRONTDESK_DATABASE_URL`` and the
rest); the staff accounts' password comes in ``BENCH_USERS_PASSWORD``, never on the
command line.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import frontdesk.catalog  # noqa: F401  (every table, as the CLI loads them)
import scheduling
from frontdesk.business.customers.service import create_profile
from frontdesk.business.scheduling import service as services
from frontdesk.business.scheduling import staff
from frontdesk.business.scheduling.schemas import ServiceCreate, WorkingRange
from frontdesk.business.settings import service as business_settings
from frontdesk.core.config import get_settings
from frontdesk.core.db import create_engine, create_sessionmaker, transaction
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.auth.models import User
from frontdesk.security.auth.service import create_user
from scheduling import Team, TeamSpec

PASSWORD_ENV = "BENCH_USERS_PASSWORD"  # noqa: S105  (a variable name, not a password)
META = RequestMeta(ip=None, user_agent="frontdesk-bench", request_id=None)
RULES = {
    "time_zone": scheduling.TIME_ZONE,
    "slot_step_minutes": scheduling.SLOT_STEP_MINUTES,
    "min_notice_minutes": scheduling.MIN_NOTICE_MINUTES,
    "horizon_days": scheduling.HORIZON_DAYS,
}
WEEK = [
    WorkingRange(weekday=weekday, start_time=start, end_time=end)
    for weekday, start, end in scheduling.WORKING_WEEK
]


async def _actor(session: AsyncSession, username: str) -> uuid.UUID:
    actor = await session.scalar(select(User.id).where(User.username == username))
    if actor is None:
        raise SystemExit(f"no account {username!r} to record the changes as")
    return actor


async def _service(session: AsyncSession, spec: TeamSpec, actor: uuid.UUID) -> uuid.UUID:
    values = ServiceCreate(
        name=f"{spec.prefix} service",
        duration_minutes=scheduling.SERVICE_MINUTES,
        buffer_before_minutes=scheduling.BUFFER_BEFORE_MINUTES,
        buffer_after_minutes=scheduling.BUFFER_AFTER_MINUTES,
        price=Decimal("40.00"),
    )
    created = await services.create(session, values.model_dump(), actor_id=actor, meta=META)
    return created.id


async def _staff_member(
    session: AsyncSession, username: str, password: str, service_id: uuid.UUID, actor: uuid.UUID
) -> uuid.UUID:
    user = await create_user(
        session, username=username, email=f"{username}@example.com", password=password
    )
    await staff.set_services(session, user.id, [service_id], actor_id=actor, meta=META)
    await staff.set_working_hours(session, user.id, WEEK, actor_id=actor, meta=META)
    return user.id


async def create(spec: TeamSpec, actor_name: str, password: str) -> Team:
    engine = create_engine(get_settings().database_url, pool_size=1)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            actor = await _actor(session, actor_name)
            # The same values on every call, so the second team changes nothing here.
            await business_settings.update(session, RULES, actor_id=actor, meta=META)
            service_id = await _service(session, spec, actor)
            staff_ids = [
                await _staff_member(
                    session, f"{spec.prefix}-staff-{number:02}", password, service_id, actor
                )
                for number in range(spec.staff)
            ]
            customers = [
                await create_profile(
                    session,
                    name=f"{spec.prefix} customer {number:02}",
                    owner_id=None,
                    email=f"{spec.prefix}-customer-{number:02}@example.com",
                )
                for number in range(spec.customers)
            ]
        return Team(service_id, tuple(staff_ids), tuple(each.id for each in customers))
    finally:
        await engine.dispose()


def main() -> int:
    team_name, actor_name = sys.argv[1:]
    team = asyncio.run(create(scheduling.TEAMS[team_name], actor_name, os.environ[PASSWORD_ENV]))
    print(team.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
