"""Builders for the audience tests (and the ads tests): customers with the facts a rule
looks at -- tags, points, consent, and appointments of given services, statuses and
starts -- written straight into the database.

Every appointment gets its own staff member, so any set of starts is allowed by the
no-double-booking rule; points arrive through the ledger, as they must.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.scheduling.models import Service
from frontdesk.core import clock as core_clock
from frontdesk.rewards.loyalty.ledger import move_points
from tests import factories

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Visit:
    """An appointment of the customer: which service, when, in which status."""

    service: Service
    start: datetime
    status: str = "completed"


@dataclass(frozen=True)
class Person:
    tags: Sequence[str] = ()
    points: int = 0
    consent: bool | None = None  # preferences["marketing"]; None: the key is absent
    visits: Sequence[Visit] = ()
    preferences: dict[str, Any] = field(default_factory=dict)


async def person(
    session: AsyncSession,
    spec: Person,
    *,
    name: str = "Ada Customer",
    owner_id: uuid.UUID | None = None,
) -> Customer:
    """A flushed customer as ``spec`` describes, with its appointments."""
    preferences = dict(spec.preferences)
    if spec.consent is not None:
        preferences["marketing"] = spec.consent
    customer = Customer(
        name=name,
        search_name=name.casefold(),
        tags=list(spec.tags),
        preferences=preferences,
        user_id=owner_id,
    )
    session.add(customer)
    await session.flush()
    if spec.points:
        await move_points(
            session,
            customer.id,
            points=spec.points,
            reason="adjustment",
            now=core_clock.now(),
            actor_id=None,
            note="opening balance",
        )
    for visit in spec.visits:
        # A name of its own: the factory names users by the millisecond part of a new id.
        staff = await factories.user(session, f"staff-{uuid.uuid4().hex[:16]}")
        session.add(
            factories.appointment(
                staff=staff,
                client=customer,
                offering=visit.service,
                start=visit.start,
                status=visit.status,
            )
        )
    await session.flush()
    return customer


async def services(session: AsyncSession, count: int) -> list[Service]:
    return [await factories.service(session) for _ in range(count)]
