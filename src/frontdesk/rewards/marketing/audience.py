"""The audience rule language that offers and advertisements share.

A rule is a JSON object of optional conditions; a customer is in the audience when every
condition given holds (AND); ``{}`` is every customer:

- ``tags``: the customer has ANY of these tags (exact and case-sensitive, as stored;
  tags are trimmed on the way in, like a profile's own).
- ``min_points``: ``loyalty_points >= min_points``.
- ``services_booked``: the customer has had a *completed* appointment for ANY of these
  services, ever.
- ``last_visit_before`` / ``last_visit_after``: the customer's last visit (the start of
  their latest completed appointment) is before / on or after this instant. A customer
  who never visited has no last visit and matches neither.
- ``has_upcoming_appointment``: ``true``: the customer has a scheduled or confirmed
  appointment starting after now; ``false``: they have none.

The same rule is evaluated twice, and both must agree (a property test checks it):
:func:`audience_filter` is a SQL predicate over ``customers`` that selects everyone who
matches (index-friendly: EXISTS over ``appointments (customer_id, appointment_date)``),
and :func:`matches` decides for one customer from their :class:`CustomerFacts`, which
:func:`customer_facts` reads in two small queries. Consent is not part of a rule: combine
with :func:`marketing_consent` / :func:`allows_marketing` (see ``consent``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Protocol

from pydantic import AfterValidator, Field, StrictBool, StrictInt, ValidationError, model_validator
from sqlalchemy import ColumnElement, Select, and_, case, func, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.customers.schemas import Tag
from frontdesk.business.scheduling.models import UPCOMING_STATUSES, Appointment, Service
from frontdesk.core.errors import NotFoundError, ValidationFailedError
from frontdesk.core.schemas import Instant, RequestModel
from frontdesk.rewards.loyalty.ledger import MAX_BALANCE
from frontdesk.rewards.marketing.consent import allows_marketing, marketing_consent
from frontdesk.rewards.marketing.json_sql import has_any_string

__all__ = [
    "AudienceRule",
    "CustomerFacts",
    "allows_marketing",
    "audience_filter",
    "check_references",
    "customer_facts",
    "facts_from",
    "facts_of",
    "marketing_consent",
    "matches",
    "stored_rule",
    "visits_query",
]

MAX_RULE_TAGS = 20
MAX_RULE_SERVICES = 50
VISITED = "completed"  # the appointment status that makes a visit


def _distinct(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


RuleTags = Annotated[
    list[Tag], Field(min_length=1, max_length=MAX_RULE_TAGS), AfterValidator(_distinct)
]
RuleServices = Annotated[
    list[uuid.UUID], Field(min_length=1, max_length=MAX_RULE_SERVICES), AfterValidator(_distinct)
]


class AudienceRule(RequestModel):
    """Who an offer or an ad is for; unknown keys are refused (a typo would otherwise
    widen the audience to everyone)."""

    tags: RuleTags | None = Field(default=None, description="Has ANY of these tags")
    min_points: Annotated[StrictInt, Field(ge=0, le=MAX_BALANCE)] | None = Field(
        default=None, description="At least this many loyalty points"
    )
    services_booked: RuleServices | None = Field(
        default=None, description="Ever had a completed appointment for ANY of these services"
    )
    last_visit_before: Instant | None = Field(
        default=None, description="Last completed appointment started before this instant"
    )
    last_visit_after: Instant | None = Field(
        default=None, description="Last completed appointment started on or after this instant"
    )
    has_upcoming_appointment: StrictBool | None = Field(
        default=None, description="Has (true) / has not (false) a scheduled or confirmed one ahead"
    )

    @model_validator(mode="after")
    def _window_not_empty(self) -> AudienceRule:
        after, before = self.last_visit_after, self.last_visit_before
        if after is not None and before is not None and after >= before:
            raise ValueError("last_visit_after must be earlier than last_visit_before")
        return self

    def stored(self) -> dict[str, Any]:
        """The JSON kept in ``target_audience`` / ``conditions``: only the conditions given."""
        return self.model_dump(mode="json", exclude_none=True)


def stored_rule(document: Any) -> AudienceRule | None:
    """A stored rule read back; None when it no longer validates (written around the
    API): the caller treats it as matching nobody rather than failing."""
    try:
        return AudienceRule.model_validate(document)
    except ValidationError:
        return None


async def check_references(session: AsyncSession, rule: AudienceRule, *, path: str) -> None:
    """422 when ``services_booked`` names a service that does not exist: such a rule
    would silently match nobody."""
    if not rule.services_booked:
        return
    found = set(
        await session.scalars(select(Service.id).where(Service.id.in_(rule.services_booked)))
    )
    missing = [str(each) for each in rule.services_booked if each not in found]
    if missing:
        raise ValidationFailedError(
            "The audience names services that do not exist.",
            path=f"{path}.services_booked",
            message=f"unknown service ids: {', '.join(missing)}",
        )


# --- SQL: everyone who matches ---------------------------------------------------------


def _visited(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """EXISTS a completed appointment of the outer query's customer (correlated)."""
    return (
        select(Appointment.id)
        .where(Appointment.customer_id == Customer.id, Appointment.status == VISITED, *conditions)
        .exists()
    )


def _upcoming(now: datetime) -> ColumnElement[bool]:
    return (
        select(Appointment.id)
        .where(
            Appointment.customer_id == Customer.id,
            Appointment.status.in_(UPCOMING_STATUSES),
            Appointment.appointment_date > now,
        )
        .exists()
    )


def audience_filter(rule: AudienceRule, *, now: datetime) -> ColumnElement[bool]:
    """A predicate over ``customers`` true exactly for the customers ``rule`` matches."""
    conditions: list[ColumnElement[bool]] = []
    if rule.tags is not None:
        conditions.append(has_any_string(Customer.tags, rule.tags))
    if rule.min_points is not None:
        conditions.append(Customer.loyalty_points >= rule.min_points)
    if rule.services_booked is not None:
        conditions.append(_visited(Appointment.service_id.in_(rule.services_booked)))
    if rule.last_visit_after is not None:
        conditions.append(_visited(Appointment.appointment_date >= rule.last_visit_after))
    if rule.last_visit_before is not None:
        # A visit before the instant and none since: the latest one is before it.
        before = rule.last_visit_before
        conditions.append(_visited(Appointment.appointment_date < before))
        conditions.append(not_(_visited(Appointment.appointment_date >= before)))
    if rule.has_upcoming_appointment is not None:
        upcoming = _upcoming(now)
        conditions.append(upcoming if rule.has_upcoming_appointment else not_(upcoming))
    return and_(true(), *conditions)


# --- Python: one customer --------------------------------------------------------------


@dataclass(frozen=True)
class CustomerFacts:
    """What the rules look at, for one customer at one instant."""

    customer_id: uuid.UUID
    tags: frozenset[str]
    points: int
    services_booked: frozenset[uuid.UUID]  # services of their completed appointments
    last_visit: datetime | None  # start of their latest completed appointment
    has_upcoming: bool  # a scheduled or confirmed appointment starts after `now`


async def customer_facts(
    session: AsyncSession, customer_id: uuid.UUID, *, now: datetime
) -> CustomerFacts:
    """The facts of one customer (404 if there is no such customer)."""
    row = (
        await session.execute(
            select(Customer.tags, Customer.loyalty_points).where(Customer.id == customer_id)
        )
    ).first()
    if row is None:
        raise NotFoundError("No such customer.")
    return await _with_appointments(session, customer_id, row.tags, row.loyalty_points, now)


class Profile(Protocol):
    """What :func:`facts_of` reads of a loaded profile (a ``Customer``, or a row of
    those columns)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def tags(self) -> Any: ...
    @property
    def loyalty_points(self) -> int: ...


async def facts_of(session: AsyncSession, customer: Profile, *, now: datetime) -> CustomerFacts:
    """:func:`customer_facts` for a profile already loaded: one query fewer."""
    return await _with_appointments(
        session, customer.id, customer.tags, customer.loyalty_points, now
    )


def visits_query(customer_id: Any, now: Any) -> Select[Any]:
    """One grouped read of a customer's completed and upcoming appointments (the
    ``(customer_id, appointment_date)`` index): per service, the start of the latest
    visit (``last_visit``) and whether one is ahead (``ahead``, 0 or 1). The arguments
    are values, or bound parameters for a statement compiled once."""
    visited = Appointment.status == VISITED
    upcoming = or_(*(Appointment.status == status for status in UPCOMING_STATUSES))
    ahead = and_(upcoming, Appointment.appointment_date > now)
    columns: tuple[Any, ...] = (
        Appointment.service_id,
        func.max(case((visited, Appointment.appointment_date))).label("last_visit"),
        func.max(case((ahead, 1), else_=0)).label("ahead"),
    )
    return (
        select(*columns)
        # OR rather than IN: a statement compiled once for the driver cannot expand lists.
        .where(Appointment.customer_id == customer_id, or_(visited, upcoming))
        .group_by(Appointment.service_id)
    )


def facts_from(
    customer_id: uuid.UUID, tags: Any, points: int, visits: Iterable[Mapping[str, Any]]
) -> CustomerFacts:
    """The facts of a profile's columns and the rows of :func:`visits_query`."""
    rows = list(visits)
    last_visits = {row["service_id"]: row["last_visit"] for row in rows if row["last_visit"]}
    return CustomerFacts(
        customer_id=customer_id,
        tags=frozenset(tag for tag in (tags or ()) if isinstance(tag, str)),
        points=points,
        services_booked=frozenset(last_visits),
        last_visit=max(last_visits.values(), default=None),
        has_upcoming=any(row["ahead"] for row in rows),
    )


async def _with_appointments(
    session: AsyncSession, customer_id: uuid.UUID, tags: Any, points: int, now: datetime
) -> CustomerFacts:
    rows = (await session.execute(visits_query(customer_id, now))).mappings()
    return facts_from(customer_id, tags, points, rows)


def matches(rule: AudienceRule, facts: CustomerFacts) -> bool:
    """Whether ``rule`` holds for the customer ``facts`` describe."""
    last = facts.last_visit
    return (
        (rule.tags is None or not facts.tags.isdisjoint(rule.tags))
        and (rule.min_points is None or facts.points >= rule.min_points)
        and (
            rule.services_booked is None
            or not facts.services_booked.isdisjoint(rule.services_booked)
        )
        and (rule.last_visit_after is None or (last is not None and last >= rule.last_visit_after))
        and (rule.last_visit_before is None or (last is not None and last < rule.last_visit_before))
        and (
            rule.has_upcoming_appointment is None
            or facts.has_upcoming == rule.has_upcoming_appointment
        )
    )
