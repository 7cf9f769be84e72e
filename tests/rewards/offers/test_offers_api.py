"""Offers CRUD: validation of the percentage, the window, the limits and the conditions;
terms fixed once handed out; deleting only what nobody holds; audit; who may do what."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.rewards.offers.models import Offer
from frontdesk.security.audit.models import AuditLog
from tests.rewards.offers.conftest import (
    API,
    START,
    give,
    new_customer,
    new_offer,
    offer_row,
    problem,
)
from tests.security.audit.callers import Caller, signed_in

VALID = {
    "name": "Winter glow",
    "discount_percent": "15.5",
    "valid_from": "2026-12-01T00:00:00+01:00",
    "valid_until": "2027-01-01T00:00:00+01:00",
}


async def _create(client: httpx.AsyncClient, caller: Caller, body: Any) -> httpx.Response:
    return await client.post(f"{API}/offers", headers=caller.headers, json=body)


async def _patch(
    client: httpx.AsyncClient, caller: Caller, offer_id: Any, body: Any
) -> httpx.Response:
    return await client.patch(f"{API}/offers/{offer_id}", headers=caller.headers, json=body)


async def test_an_offer_is_created_with_its_terms_and_audited(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    services: tuple[uuid.UUID, uuid.UUID],
) -> None:
    conditions = {
        "service_ids": [str(services[1])],
        "min_total": "50.5",
        "customer_tags": ["vip", "vip", " regular "],
    }
    body = {**VALID, "max_uses_total": 100, "max_uses_per_customer": 1, "conditions": conditions}
    made = await _create(client, admin, body)
    assert made.status_code == 201, made.text
    offer = made.json()
    assert (offer["name"], offer["discount_percent"], offer["is_active"]) == (
        "Winter glow",
        "15.5",
        True,
    )
    assert (offer["valid_from"], offer["valid_until"]) == (
        "2026-11-30T23:00:00Z",
        "2026-12-31T23:00:00Z",
    )
    assert (offer["max_uses_total"], offer["max_uses_per_customer"], offer["uses_count"]) == (
        100,
        1,
        0,
    )
    assert offer["conditions"] == {
        "service_ids": [str(services[1])],
        "min_total": "50.5",
        "customer_tags": ["vip", "regular"],
    }
    read = await client.get(f"{API}/offers/{offer['id']}", headers=admin.headers)
    assert read.json() == offer
    async with db() as session:
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "offer.create"))
    assert audit is not None
    assert (audit.user_id, audit.resource) == (admin.user_id, f"offer:{offer['id']}")
    assert audit.details is not None
    assert audit.details["discount_percent"] == "15.5"


@pytest.mark.parametrize(
    "change",
    [
        {"discount_percent": "0"},
        {"discount_percent": "-5"},
        {"discount_percent": "100.01"},
        {"discount_percent": "12.345"},
        {"discount_percent": "NaN"},
        {"discount_percent": "ten"},
        {"valid_until": VALID["valid_from"]},
        {"valid_from": "2026-12-01T00:00:00"},
        {"max_uses_total": 0},
        {"max_uses_per_customer": -1},
        {"max_uses_total": "5"},
        {"is_active": "yes"},
        {"name": "   "},
        {"uses_count": 3},
        {"conditions": {"services": []}},
        {"conditions": {"min_total": "-1"}},
        {"conditions": {"customer_tags": []}},
        {"conditions": {"service_ids": ["not-an-id"]}},
    ],
)
async def test_a_malformed_offer_is_a_422_and_nothing_is_written(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    change: dict[str, Any],
) -> None:
    refused = await _create(client, admin, {**VALID, **change})
    assert problem(refused) == (422, "validation_failed"), refused.text
    async with db() as session:
        assert await session.scalar(select(Offer.id)) is None


@pytest.mark.parametrize("percent", ["0.01", "100", 12.5, "99.99"])
async def test_percentages_from_a_hundredth_to_a_hundred_are_taken(
    client: httpx.AsyncClient, admin: Caller, percent: Any
) -> None:
    made = await _create(client, admin, {**VALID, "discount_percent": percent})
    assert made.status_code == 201, made.text
    assert made.json()["discount_percent"] == str(percent)


async def test_conditions_that_could_never_hold_are_a_422(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    unknown = str(uuid.uuid4())
    no_service = await _create(client, admin, {**VALID, "conditions": {"service_ids": [unknown]}})
    assert problem(no_service) == (422, "validation_failed")
    assert unknown in no_service.text
    too_fine = await _create(client, admin, {**VALID, "conditions": {"min_total": "10.005"}})
    assert problem(too_fine) == (422, "validation_failed")
    assert "EUR" in too_fine.json()["detail"]


async def test_terms_are_fixed_once_handed_out_but_the_rest_may_change(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    offer_id = await new_offer(db, percent="10")
    before = await _patch(client, admin, offer_id, {"discount_percent": "12"})
    assert before.status_code == 200, before.text
    await give(db, offer_id, await new_customer(db))
    for terms in (
        {"discount_percent": "20"},
        {"valid_from": "2026-11-20T00:00:00Z"},
        {"conditions": {"min_total": "10"}},
    ):
        refused = await _patch(client, admin, offer_id, terms)
        assert problem(refused) == (409, "offer_terms_fixed"), terms
    same = await _patch(client, admin, offer_id, {"discount_percent": "12.00"})
    assert same.status_code == 200  # not a change: nothing to refuse
    changed = await _patch(
        client,
        admin,
        offer_id,
        {"name": "Longer", "valid_until": "2027-06-01T00:00:00Z", "is_active": False},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["is_active"]) == ("Longer", False)
    offer = await offer_row(db, offer_id)
    assert (str(offer.discount_percent.normalize()), offer.valid_until.year) == ("12", 2027)


async def test_a_change_keeps_the_window_ordered_and_the_limit_above_the_uses(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    offer_id = await new_offer(db, max_uses_total=10)
    async with db() as session, session.begin():
        offer = await session.get_one(Offer, offer_id)
        offer.uses_count = 4
    ends_first = await _patch(client, admin, offer_id, {"valid_until": "2026-01-01T00:00:00Z"})
    assert problem(ends_first) == (422, "validation_failed")
    too_low = await _patch(client, admin, offer_id, {"max_uses_total": 3})
    assert problem(too_low) == (422, "validation_failed")
    assert (await _patch(client, admin, offer_id, {"max_uses_total": 4})).status_code == 200
    cleared = await _patch(client, admin, offer_id, {"max_uses_total": None})
    assert cleared.json()["max_uses_total"] is None
    async with db() as session:
        updates = (
            await session.scalars(
                select(AuditLog)
                .where(AuditLog.action == "offer.update")
                .order_by(AuditLog.sequence)
            )
        ).all()
    assert [row.details for row in updates] == [
        {"before": {"max_uses_total": 10}, "after": {"max_uses_total": 4}},
        {"before": {"max_uses_total": 4}, "after": {"max_uses_total": None}},
    ]


async def test_only_an_offer_nobody_holds_can_be_deleted(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    unused, held = await new_offer(db), await new_offer(db)
    await give(db, held, await new_customer(db), status="expired")
    gone = await client.delete(f"{API}/offers/{unused}", headers=admin.headers)
    assert gone.status_code == 204
    refused = await client.delete(f"{API}/offers/{held}", headers=admin.headers)
    assert problem(refused) == (409, "offer_handed_out")
    missing = await client.get(f"{API}/offers/{unused}", headers=admin.headers)
    assert missing.status_code == 404
    assert (await offer_row(db, held)).id == held


async def test_offers_are_listed_newest_first_and_filtered_by_activity(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    first = await new_offer(db, name="first")
    second = await new_offer(db, name="second", is_active=False)
    third = await new_offer(db, name="third")
    page = (await client.get(f"{API}/offers", headers=admin.headers, params={"limit": 2})).json()
    assert [item["id"] for item in page["items"]] == [str(third), str(second)]
    rest = await client.get(
        f"{API}/offers", headers=admin.headers, params={"cursor": page["next_cursor"]}
    )
    assert [item["id"] for item in rest.json()["items"]] == [str(first)]
    active = await client.get(f"{API}/offers", headers=admin.headers, params={"active": "true"})
    assert [item["id"] for item in active.json()["items"]] == [str(third), str(first)]


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("manager", 200, 201),
        ("receptionist", 200, 403),
        ("staff", 403, 403),
        ("customer", 403, 403),
        (None, 403, 403),
    ],
)
async def test_who_may_read_and_write_offers(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    admin: Caller,
    role: str | None,
    read: int,
    write: int,
) -> None:
    caller = await signed_in(app, db, role=role)
    offer_id = await new_offer(db)
    assert (await client.get(f"{API}/offers", headers=caller.headers)).status_code == read
    stats = await client.get(f"{API}/offers/{offer_id}/stats", headers=caller.headers)
    assert stats.status_code == read
    assert (await _create(client, caller, VALID)).status_code == write
    patched = await _patch(client, caller, offer_id, {"name": "x"})
    assert patched.status_code == (200 if write == 201 else 403)
    anonymous = await client.get(f"{API}/offers")
    assert anonymous.status_code == 401


async def test_times_are_answered_in_utc(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    offer_id = await new_offer(db, starts=START)
    body = (await client.get(f"{API}/offers/{offer_id}", headers=admin.headers)).json()
    assert body["valid_from"] == "2026-11-28T12:00:00Z"
