"""The property behind the rule language: for any customers and appointments and any
rule, the SQL predicate selects exactly the customers that ``matches`` accepts from
their facts, and both agree with a model computed from the generated data itself.

Starts, the rule's instants and now all lie on one 12-hour grid, so the boundaries (a
visit exactly at ``last_visit_after``/``last_visit_before``, an appointment starting
exactly now) come up often.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.business.scheduling.models import APPOINTMENT_STATUSES, UPCOMING_STATUSES
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.rewards.marketing.audience import (
    AudienceRule,
    audience_filter,
    customer_facts,
    matches,
)
from tests.rewards.marketing.conftest import NOW, Person, Visit, person, services

TAGS = ("vip", "VIP", "gold", "née")
SERVICES = 3
STEP = timedelta(hours=12)
GRID = st.integers(-3, 3)
# Visits and appointments ahead are what the rules look at: drawn more often.
STATUSES = ("completed", "completed", "scheduled", "confirmed", *APPOINTMENT_STATUSES)


def at(step: int) -> datetime:
    return NOW + step * STEP


@dataclass(frozen=True)
class Shape:
    """One generated customer: tags, points, (service index, status, grid step) visits."""

    tags: list[str]
    points: int
    visits: list[tuple[int, str, int]]


shapes = st.builds(
    Shape,
    tags=st.lists(st.sampled_from(TAGS), unique=True, max_size=3),
    points=st.sampled_from((0, 1, 49, 50, 51, 200)),
    visits=st.lists(
        st.tuples(st.integers(0, SERVICES - 1), st.sampled_from(STATUSES), GRID),
        max_size=4,
    ),
)


def _window_not_empty(rule: dict[str, Any]) -> bool:
    before, after = rule.get("last_visit_before"), rule.get("last_visit_after")
    return before is None or after is None or after < before


rules: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {},
    optional={
        "tags": st.lists(st.sampled_from(TAGS), min_size=1, max_size=3),
        "min_points": st.sampled_from((0, 1, 50, 51, 300)),
        "services_booked": st.lists(st.integers(0, SERVICES - 1), min_size=1, max_size=2),
        "last_visit_before": GRID,
        "last_visit_after": GRID,
        "has_upcoming_appointment": st.booleans(),
    },
).filter(_window_not_empty)


def _document(rule: dict[str, Any], service_ids: list[uuid.UUID]) -> dict[str, Any]:
    """The generated rule in the API's terms: service ids, ISO instants."""
    document = dict(rule)
    if "services_booked" in rule:
        document["services_booked"] = [str(service_ids[n]) for n in rule["services_booked"]]
    for key in ("last_visit_before", "last_visit_after"):
        if key in rule:
            document[key] = at(rule[key]).isoformat()
    return document


def _model(rule: dict[str, Any], shape: Shape) -> bool:
    """The rule's meaning, straight from the generated data."""
    visits = [(n, at(step)) for n, status, step in shape.visits if status == "completed"]
    last = max((start for _, start in visits), default=None)
    upcoming = any(
        status in UPCOMING_STATUSES and at(step) > NOW for _, status, step in shape.visits
    )
    checks: dict[str, Callable[[Any], bool]] = {
        "tags": lambda wanted: bool(set(wanted) & set(shape.tags)),
        "min_points": lambda least: shape.points >= least,
        "services_booked": lambda wanted: any(n in wanted for n, _ in visits),
        "last_visit_before": lambda step: last is not None and last < at(step),
        "last_visit_after": lambda step: last is not None and last >= at(step),
        "has_upcoming_appointment": lambda wanted: upcoming == wanted,
    }
    return all(checks[key](value) for key, value in rule.items())


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=st.lists(shapes, min_size=1, max_size=6), rule=rules)
async def test_sql_and_python_select_the_same_customers(
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    people: list[Shape],
    rule: dict[str, Any],
) -> None:
    clock.set(NOW)
    async with transaction(db) as session:
        offered = await services(session, SERVICES)
        ids = []
        for shape in people:
            visits = [Visit(offered[n], at(step), status) for n, status, step in shape.visits]
            spec = Person(tags=shape.tags, points=shape.points, visits=visits)
            ids.append((await person(session, spec)).id)
    audience = AudienceRule.model_validate(_document(rule, [s.id for s in offered]))
    async with db() as session:
        query = select(Customer.id).where(Customer.id.in_(ids), audience_filter(audience, now=NOW))
        in_sql = set(await session.scalars(query))
        in_python = {
            customer_id
            for customer_id in ids
            if matches(audience, await customer_facts(session, customer_id, now=NOW))
        }
    modelled = {
        customer_id for customer_id, shape in zip(ids, people, strict=True) if _model(rule, shape)
    }
    event(f"{len(modelled)} of {len(ids)} match")
    assert in_sql == in_python == modelled
