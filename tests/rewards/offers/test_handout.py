"""Handing offers out: to named customers or to an audience rule, one available copy per
customer however often, never to erased profiles or to customers at their limit, and an
email only to those who accept marketing and have an address."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.business.scheduling.models import Appointment, Service
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.core.outbox_models import OutboxMessage
from frontdesk.rewards.offers import handout
from frontdesk.rewards.offers.models import Offer
from frontdesk.security.audit.models import AuditLog
from tests import factories
from tests.rewards.offers.conftest import (
    API,
    START,
    copies_of,
    give,
    new_customer,
    new_offer,
    problem,
)
from tests.security.audit.callers import Caller, signed_in


def _to_customers(
    client: httpx.AsyncClient, caller: Caller, offer_id: uuid.UUID, ids: list[Any], **extra: Any
) -> Any:
    body = {"customer_ids": [str(each) for each in ids], **extra}
    return client.post(f"{API}/offers/{offer_id}/customers", headers=caller.headers, json=body)


def _to_audience(
    client: httpx.AsyncClient, caller: Caller, offer_id: uuid.UUID, rule: Any, **extra: Any
) -> Any:
    body = {"rule": rule, **extra}
    return client.post(f"{API}/offers/{offer_id}/audience", headers=caller.headers, json=body)


async def _emails(db: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with db() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_named_customers_get_one_available_copy_however_often_they_are_named(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    offer_id = await new_offer(db)
    ada, bob = await new_customer(db, name="Ada"), await new_customer(db, name="Bob")
    first = await _to_customers(client, admin, offer_id, [ada, bob, ada])
    assert first.status_code == 200, first.text
    assert first.json() == {"matched": 2, "handed_out": 2, "emailed": 0}
    again = await _to_customers(client, admin, offer_id, [ada, bob])
    assert again.json() == {"matched": 2, "handed_out": 0, "emailed": 0}
    assert await copies_of(db, offer_id) == {ada: ["available"], bob: ["available"]}
    async with db() as session:
        audits = (
            await session.scalars(
                select(AuditLog)
                .where(AuditLog.action == "offer.hand_out")
                .order_by(AuditLog.sequence)
            )
        ).all()
    assert [(row.details or {}).get("handed_out") for row in audits] == [2, 0]
    assert all(row.resource == f"offer:{offer_id}" for row in audits)


async def test_a_customer_with_a_used_copy_gets_a_new_one_until_the_limit(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    offer_id = await new_offer(db, max_uses_per_customer=2)
    once, twice = await new_customer(db), await new_customer(db)
    await give(db, offer_id, once, status="used")
    for _ in range(2):
        await give(db, offer_id, twice, status="used")
    given = await _to_customers(client, admin, offer_id, [once, twice])
    assert given.json() == {"matched": 2, "handed_out": 1, "emailed": 0}
    assert await copies_of(db, offer_id) == {once: ["used", "available"], twice: ["used", "used"]}


async def test_erased_profiles_are_skipped_and_unknown_ids_refused(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    offer_id = await new_offer(db)
    live, erased = await new_customer(db), await new_customer(db)
    assert (
        await client.post(f"{API}/customers/{erased}/erase", headers=admin.headers)
    ).status_code == 200
    skipped = await _to_customers(client, admin, offer_id, [live, erased])
    assert skipped.json() == {"matched": 1, "handed_out": 1, "emailed": 0}
    unknown = await _to_customers(client, admin, offer_id, [live, uuid.uuid4()])
    assert problem(unknown) == (422, "validation_failed")
    assert await copies_of(db, offer_id) == {live: ["available"]}


async def test_only_an_active_offer_with_uses_left_that_has_not_ended_is_handed_out(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    customer = await new_customer(db)
    inactive = await new_offer(db, is_active=False)
    ended = await new_offer(db, starts=START - timedelta(days=9), ends=START)
    upcoming = await new_offer(db, starts=START + timedelta(days=3))
    exhausted = await new_offer(db, max_uses_total=2)
    async with transaction(db) as session:
        (await session.get_one(Offer, exhausted)).uses_count = 2
    assert problem(await _to_customers(client, admin, inactive, [customer])) == (
        409,
        "offer_inactive",
    )
    assert problem(await _to_audience(client, admin, ended, {})) == (409, "offer_expired")
    assert problem(await _to_customers(client, admin, exhausted, [customer])) == (
        409,
        "offer_exhausted",
    )
    announced = await _to_customers(client, admin, upcoming, [customer])
    assert announced.json()["handed_out"] == 1
    missing = await _to_audience(client, admin, uuid.uuid4(), {})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"customer_ids": []},
        {"customer_ids": ["nope"]},
        {"customer_ids": [str(uuid.uuid4()) for _ in range(501)]},
        {"customer_ids": [str(uuid.uuid4())], "notify": "yes"},
        {"customer_ids": [str(uuid.uuid4())], "extra": 1},
    ],
)
async def test_a_malformed_hand_out_is_a_422(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    body: dict[str, Any],
) -> None:
    offer_id = await new_offer(db)
    refused = await client.post(
        f"{API}/offers/{offer_id}/customers", headers=admin.headers, json=body
    )
    assert problem(refused) == (422, "validation_failed")


async def _visit(
    db: async_sessionmaker[AsyncSession],
    customer_id: uuid.UUID,
    service_id: uuid.UUID,
    days: int,
    status: str = "completed",
) -> None:
    """An appointment of the customer ``days`` from START (negative: in the past)."""
    async with transaction(db) as session:
        staff = await factories.user(session)
        customer = await session.get_one(Customer, customer_id)
        service = await session.get_one(Service, service_id)
        row: Appointment = factories.appointment(
            staff=staff,
            client=customer,
            offering=service,
            start=START + timedelta(days=days),
            status=status,
        )
        session.add(row)


async def test_an_audience_hand_out_gives_exactly_the_matching_live_customers(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    services: tuple[uuid.UUID, uuid.UUID],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(handout, "BATCH_SIZE", 2)  # several batches on a small audience
    cut, colour = services
    offer_id = await new_offer(db)
    expected = set()
    for index in range(5):
        customer = await new_customer(db, name=f"Fan {index}", tags=["vip"], points=50)
        await _visit(db, customer, colour, days=-10 - index)
        expected.add(customer)
    poor = await new_customer(db, tags=["vip"], points=49)
    await _visit(db, poor, colour, days=-10)
    untagged = await new_customer(db, tags=["regular"], points=500)
    await _visit(db, untagged, colour, days=-10)
    other_service = await new_customer(db, tags=["vip"], points=50)
    await _visit(db, other_service, cut, days=-10)
    only_upcoming = await new_customer(db, tags=["vip"], points=50)
    await _visit(db, only_upcoming, colour, days=5, status="scheduled")
    erased = await new_customer(db, tags=["vip"], points=50)
    await _visit(db, erased, colour, days=-10)
    await client.post(f"{API}/customers/{erased}/erase", headers=admin.headers)
    rule = {"tags": ["vip"], "min_points": 50, "services_booked": [str(colour)]}
    given = await _to_audience(client, admin, offer_id, rule)
    assert given.status_code == 200, given.text
    assert given.json() == {"matched": 5, "handed_out": 5, "emailed": 0}
    assert set(await copies_of(db, offer_id)) == expected
    again = await _to_audience(client, admin, offer_id, rule)
    assert again.json() == {"matched": 5, "handed_out": 0, "emailed": 0}
    everyone = await _to_audience(client, admin, offer_id, {})
    assert everyone.json() == {"matched": 9, "handed_out": 4, "emailed": 0}
    assert erased not in await copies_of(db, offer_id)


async def test_a_bad_audience_rule_is_a_422_and_hands_out_nothing(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    offer_id = await new_offer(db)
    await new_customer(db, tags=["vip"])
    for rule in ({"tag": ["vip"]}, {"services_booked": [str(uuid.uuid4())]}, {"min_points": -1}):
        refused = await _to_audience(client, admin, offer_id, rule)
        assert problem(refused) == (422, "validation_failed"), rule
    assert await copies_of(db, offer_id) == {}


async def test_only_consenting_customers_with_an_address_are_emailed(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    offer_id = await new_offer(db, name="Winter\nglow", description="On every cut.")
    consenting = await new_customer(db, name="Ada", email="ada@example.com", marketing=True)
    refusing = await new_customer(db, email="bob@example.com", marketing=False)
    silent = await new_customer(db, email="cy@example.com")
    truthy = await new_customer(db, email="di@example.com", marketing="yes")
    no_address = await new_customer(db, marketing=True)
    everyone = [consenting, refusing, silent, truthy, no_address]
    given = await _to_audience(client, admin, offer_id, {}, notify=True)
    assert given.json() == {"matched": 5, "handed_out": 5, "emailed": 1}
    assert set(await copies_of(db, offer_id)) == set(everyone)
    [email] = await _emails(db)
    assert email.recipient == "ada@example.com"
    assert email.subject == "An offer for you: Winter glow"
    assert "Hello Ada" in email.body_text
    assert "10% off" in email.body_text
    assert "On every cut." in email.body_text
    assert email.meta["template"] == "offer"
    assert email.meta["customer_id"] == str(consenting)
    named = await _to_customers(client, admin, offer_id, everyone, notify=True)
    assert named.json()["emailed"] == 0  # nobody was given a new copy: nothing new to say
    assert len(await _emails(db)) == 1


async def test_without_notify_nobody_is_emailed(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    offer_id = await new_offer(db)
    customer = await new_customer(db, email="ada@example.com", marketing=True)
    given = await _to_customers(client, admin, offer_id, [customer])
    assert given.json() == {"matched": 1, "handed_out": 1, "emailed": 0}
    assert await _emails(db) == []


@pytest.mark.parametrize("role", ["receptionist", "staff", "customer"])
async def test_only_offer_managers_hand_out(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    role: str,
) -> None:
    caller = await signed_in(app, db, role=role)
    offer_id = await new_offer(db)
    customer = await new_customer(db)
    assert (await _to_customers(client, caller, offer_id, [customer])).status_code == 403
    assert (await _to_audience(client, caller, offer_id, {})).status_code == 403
    assert await copies_of(db, offer_id) == {}
