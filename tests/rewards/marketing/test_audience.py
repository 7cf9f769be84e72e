"""The audience rule language: each field against a cast whose answers are worked out by
hand, in SQL (``audience_filter``) and in Python (``matches`` over ``customer_facts``);
the rule's validation; and the check of the services it names."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.errors import NotFoundError, ValidationFailedError
from frontdesk.rewards.marketing.audience import (
    AudienceRule,
    audience_filter,
    check_references,
    customer_facts,
    matches,
    stored_rule,
)
from tests.rewards.marketing.conftest import NOW, Person, Visit, person, services

DAY = timedelta(days=1)


async def _cast(db: async_sessionmaker[AsyncSession]) -> tuple[dict[str, uuid.UUID], list[str]]:
    """Six customers and three services (A, B, C); see each line for what matters."""
    async with transaction(db) as session:
        a, b, c = await services(session, 3)
        people = {
            "ada": Person(
                tags=["vip", "Blonde"],
                points=120,
                visits=[Visit(a, NOW - 30 * DAY), Visit(a, NOW + 2 * DAY, "scheduled")],
            ),
            "bob": Person(
                tags=["vip"],
                points=10,
                visits=[Visit(b, NOW - 200 * DAY), Visit(b, NOW + DAY, "cancelled")],
            ),
            "cy": Person(),
            "gus": Person(visits=[Visit(c, NOW, "confirmed")]),  # starts now: not ahead
            "dee": Person(
                tags=["VIP"],  # not "vip": tags match exactly
                points=50,
                visits=[
                    Visit(a, NOW - 400 * DAY),
                    Visit(b, NOW - 10 * DAY),
                    Visit(c, NOW + 5 * DAY, "confirmed"),
                    Visit(a, NOW - DAY, "scheduled"),  # in the past: not upcoming
                ],
            ),
            "fay": Person(
                tags=["regular"],
                points=100,
                visits=[
                    Visit(c, NOW - 60 * DAY),
                    Visit(c, NOW - 5 * DAY, "no_show"),
                    Visit(a, NOW - 2 * DAY, "checked_in"),  # not a visit until completed
                ],
            ),
        }
        ids = {name: (await person(session, spec, name=name)).id for name, spec in people.items()}
        return ids, [str(a.id), str(b.id), str(c.id)]


def _rules(service: list[str]) -> list[tuple[dict[str, Any], set[str]]]:
    a, b, c = service
    at = NOW.isoformat()

    def days_ago(n: int) -> str:
        return (NOW - n * DAY).isoformat()

    return [
        ({}, {"ada", "bob", "cy", "dee", "fay", "gus"}),
        ({"tags": ["vip"]}, {"ada", "bob"}),
        ({"tags": ["VIP", "regular"]}, {"dee", "fay"}),
        ({"tags": ["nobody"]}, set()),
        ({"min_points": 100}, {"ada", "fay"}),
        ({"min_points": 0}, {"ada", "bob", "cy", "dee", "fay", "gus"}),
        ({"services_booked": [a]}, {"ada", "dee"}),
        ({"services_booked": [c]}, {"fay"}),
        ({"services_booked": [b, c]}, {"bob", "dee", "fay"}),
        ({"last_visit_after": days_ago(60)}, {"ada", "dee", "fay"}),
        ({"last_visit_before": days_ago(60)}, {"bob"}),
        ({"last_visit_before": days_ago(59)}, {"bob", "fay"}),
        ({"last_visit_before": at}, {"ada", "bob", "dee", "fay"}),
        (
            {"last_visit_after": days_ago(300), "last_visit_before": days_ago(20)},
            {"ada", "bob", "fay"},
        ),
        ({"has_upcoming_appointment": True}, {"ada", "dee"}),
        ({"has_upcoming_appointment": False}, {"bob", "cy", "fay", "gus"}),
        (
            {"tags": ["vip", "VIP"], "min_points": 40, "has_upcoming_appointment": True},
            {"ada", "dee"},
        ),
        (
            {"tags": ["vip", "VIP"], "min_points": 40, "services_booked": [b]},
            {"dee"},
        ),
    ]


async def test_each_rule_selects_the_customers_worked_out_by_hand(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    clock.set(NOW)
    ids, service = await _cast(db)
    names = {customer_id: name for name, customer_id in ids.items()}
    async with db() as session:
        facts = {name: await customer_facts(session, ids[name], now=NOW) for name in ids}
        for document, expected in _rules(service):
            rule = AudienceRule.model_validate(document)
            query = select(Customer.id).where(audience_filter(rule, now=NOW))
            in_sql = {names[customer_id] for customer_id in await session.scalars(query)}
            in_python = {name for name, known in facts.items() if matches(rule, known)}
            assert in_sql == expected, document
            assert in_python == expected, document


async def test_the_facts_of_a_customer(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    ids, service = await _cast(db)
    async with db() as session:
        dee = await customer_facts(session, ids["dee"], now=NOW)
        cy = await customer_facts(session, ids["cy"], now=NOW)
        # Once the confirmed appointment has started it is no longer ahead of her.
        later = await customer_facts(session, ids["dee"], now=NOW + 5 * DAY)
        with pytest.raises(NotFoundError):
            await customer_facts(session, uuid.uuid4(), now=NOW)
    assert dee.tags == {"VIP"}
    assert dee.points == 50
    assert dee.services_booked == {uuid.UUID(service[0]), uuid.UUID(service[1])}
    assert dee.last_visit == NOW - 10 * DAY
    assert dee.has_upcoming
    assert not later.has_upcoming
    assert (cy.tags, cy.points, cy.services_booked, cy.last_visit, cy.has_upcoming) == (
        frozenset(),
        0,
        frozenset(),
        None,
        False,
    )


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"tag": ["vip"]}, ("tag",)),
        ({"tags": []}, ("tags",)),
        ({"tags": [f"t{n}" for n in range(21)]}, ("tags",)),
        ({"tags": ["  "]}, ("tags", 0)),
        ({"tags": "vip"}, ("tags",)),
        ({"min_points": "5"}, ("min_points",)),
        ({"min_points": 5.0}, ("min_points",)),
        ({"min_points": True}, ("min_points",)),
        ({"min_points": -1}, ("min_points",)),
        ({"min_points": 10**12}, ("min_points",)),
        ({"services_booked": ["not-a-uuid"]}, ("services_booked", 0)),
        ({"services_booked": []}, ("services_booked",)),
        ({"last_visit_before": "2026-01-01T00:00:00"}, ("last_visit_before",)),
        ({"last_visit_after": "yesterday"}, ("last_visit_after",)),
        ({"has_upcoming_appointment": "yes"}, ("has_upcoming_appointment",)),
        ({"has_upcoming_appointment": 1}, ("has_upcoming_appointment",)),
        (
            {
                "last_visit_after": "2026-02-01T00:00:00Z",
                "last_visit_before": "2026-02-01T00:00:00Z",
            },
            (),
        ),
    ],
)
def test_a_bad_rule_is_refused_where_it_is_wrong(
    document: dict[str, Any], path: tuple[str | int, ...]
) -> None:
    with pytest.raises(ValidationError) as refused:
        AudienceRule.model_validate(document)
    assert [error["loc"] for error in refused.value.errors()] == [path]


def test_a_rule_keeps_only_what_was_given_in_a_normal_form() -> None:
    rule = AudienceRule.model_validate(
        {
            "tags": [" vip ", "vip", "Gold"],
            "last_visit_after": "2026-02-01T10:00:00+02:00",
            "has_upcoming_appointment": False,
        }
    )
    stored = rule.stored()
    assert stored == {
        "tags": ["vip", "Gold"],
        "last_visit_after": "2026-02-01T08:00:00Z",
        "has_upcoming_appointment": False,
    }
    assert stored_rule(stored) == rule
    assert stored_rule({"bogus": 1}) is None  # a broken stored rule matches nobody


async def test_a_rule_naming_a_service_that_does_not_exist_is_refused(
    db: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(db) as session:
        (known,) = await services(session, 1)
        good = AudienceRule(services_booked=[known.id])
        await check_references(session, good, path="target_audience")
        stray = uuid.uuid4()
        bad = AudienceRule(services_booked=[known.id, stray])
        with pytest.raises(ValidationFailedError) as refused:
            await check_references(session, bad, path="target_audience")
    assert refused.value.extra["errors"][0]["path"] == "target_audience.services_booked"
    assert str(stray) in refused.value.extra["errors"][0]["message"]
