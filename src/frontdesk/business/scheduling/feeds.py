"""Per-staff iCalendar feeds: a secret URL a calendar app subscribes to.

The secret (256 bits) is shown once, when issued, and kept only as its SHA-256, like a
refresh token. Issuing again replaces it (the old URL stops working); revoking deletes
it. The feed holds the staff member's time-holding appointments from 30 days back to the
booking horizon, with the service's name only: a calendar app is outside the business's
walls, so no customer data travels in it.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.scheduling.models import (
    BLOCKING_STATUSES,
    Appointment,
    CalendarFeed,
    Service,
)
from frontdesk.business.settings.models import BusinessSettings
from frontdesk.core.errors import NotFoundError
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service as audit

PAST = timedelta(days=30)
MAX_EVENTS = 5000


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(
    session: AsyncSession, user_id: uuid.UUID, *, actor_id: uuid.UUID, meta: RequestMeta
) -> str:
    """A new secret for ``user_id``'s feed (replacing any old one); returned once."""
    token = secrets.token_urlsafe(32)
    await session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user_id))
    session.add(CalendarFeed(user_id=user_id, token_hash=_hash(token), created_by=actor_id))
    await session.flush()
    await audit.record(
        session,
        action="calendar_feed.issue",
        success=True,
        actor_id=actor_id,
        resource=f"staff:{user_id}",
        meta=meta,
    )
    return token


async def revoke(
    session: AsyncSession, user_id: uuid.UUID, *, actor_id: uuid.UUID, meta: RequestMeta
) -> None:
    result = await session.execute(
        delete(CalendarFeed).where(CalendarFeed.user_id == user_id).returning(CalendarFeed.id)
    )
    if result.first() is None:
        raise NotFoundError("This staff member has no calendar feed.")
    await audit.record(
        session,
        action="calendar_feed.revoke",
        success=True,
        actor_id=actor_id,
        resource=f"staff:{user_id}",
        meta=meta,
    )


async def render(
    session: AsyncSession, token: str, *, settings: BusinessSettings, now: datetime
) -> bytes:
    """The feed behind ``token`` as iCalendar bytes; 404 for an unknown or revoked one."""
    user_id = await session.scalar(
        select(CalendarFeed.user_id).where(CalendarFeed.token_hash == _hash(token))
    )
    if user_id is None:
        raise NotFoundError("No such calendar feed.")
    rows = await session.execute(
        select(Appointment, Service.name)
        .join(Service, Service.id == Appointment.service_id)
        .where(
            Appointment.user_id == user_id,
            Appointment.status.in_(BLOCKING_STATUSES),
            Appointment.ends_at > now - PAST,
            Appointment.appointment_date < now + timedelta(days=settings.horizon_days),
        )
        .order_by(Appointment.appointment_date)
        .limit(MAX_EVENTS)
    )
    calendar = Calendar()
    calendar.add("prodid", "-//frontdesk//staff calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-timezone", settings.time_zone)
    for appointment, service_name in rows:
        event = Event()
        event.add("uid", f"{appointment.id}@frontdesk")
        event.add("dtstamp", now)
        event.add("dtstart", appointment.appointment_date)
        event.add("dtend", appointment.ends_at)
        event.add("summary", service_name)
        event.add("status", "CONFIRMED" if appointment.status != "scheduled" else "TENTATIVE")
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
