"""The rewards catalogue: staff with ``rewards:manage`` create, change, deactivate and
delete rewards, with terms that must fit their type; anyone signed in reads the active
catalogue; what a redeemed reward gives can no longer change."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.security.audit.models import AuditLog
from tests.rewards.catalogue.conftest import (
    API,
    a_product,
    a_service,
    make_reward,
    new_customer,
    redeem,
)
from tests.security.audit.callers import Caller, signed_in


def _post(client: httpx.AsyncClient, caller: Caller, body: Any) -> Any:
    return client.post(f"{API}/rewards", headers=caller.headers, json=body)


def _patch(client: httpx.AsyncClient, caller: Caller, reward_id: str, body: Any) -> Any:
    return client.patch(f"{API}/rewards/{reward_id}", headers=caller.headers, json=body)


async def test_a_reward_is_created_read_and_audited(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    cut = await a_service(db)
    body = {
        "name": "  15% off a cut ",
        "description": "Any cut",
        "type": "discount_percent",
        "value": "15",
        "conditions": {
            "points_cost": 300,
            "service_ids": [str(cut)],
            "min_booking_total": "20",
            "valid_days": 30,
        },
        "stock": 5,
    }
    created = await _post(client, admin, body)
    assert created.status_code == 201, created.text
    reward = created.json()
    assert (reward["name"], reward["type"], reward["value"], reward["points_cost"]) == (
        "15% off a cut",
        "discount_percent",
        "15",
        300,
    )
    assert reward["conditions"] == {
        "points_cost": 300,
        "service_ids": [str(cut)],
        "service_id": None,
        "product_id": None,
        "min_booking_total": "20",
        "valid_days": 30,
        "currency": "EUR",  # stamped by the server: the business currency
    }
    assert (reward["stock"], reward["is_active"]) == (5, True)
    read = await client.get(f"{API}/rewards/{reward['id']}", headers=admin.headers)
    assert read.json() == reward
    async with db() as session:
        row = await session.scalar(select(AuditLog).where(AuditLog.action == "reward.create"))
    assert row is not None
    assert row.resource == f"reward:{reward['id']}"
    assert row.user_id == admin.user_id


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"type": "discount_percent", "value": "0"}, "body.value"),
        ({"type": "discount_percent", "value": "100.5"}, "body.value"),
        ({"type": "discount_percent", "value": "12.345"}, "body.value"),
        ({"type": "discount_amount", "value": "0"}, "body.value"),
        ({"type": "discount_amount", "value": "10.005"}, "body.value"),
        ({"type": "discount_amount", "value": "-1"}, "body.value"),
        ({"type": "discount_amount", "value": None}, "body.value"),
        ({"type": "free_service", "value": "5"}, "body.value"),
        ({"type": "free_service", "value": "0"}, "body.conditions.service_id"),
        ({"type": "free_product", "value": None}, "body.conditions.product_id"),
        ({"type": "gift"}, "body.type"),
        ({"conditions": {}}, "body.conditions.points_cost"),
        ({"conditions": {"points_cost": 0}}, "body.conditions.points_cost"),
        ({"conditions": {"points_cost": 1_000_001}}, "body.conditions.points_cost"),
        ({"conditions": {"points_cost": "100"}}, "body.conditions.points_cost"),
        ({"conditions": {"points_cost": 10.0}}, "body.conditions.points_cost"),
        ({"conditions": {"points_cost": 1, "colour": "red"}}, "body.conditions.colour"),
        ({"conditions": {"points_cost": 1, "valid_days": 0}}, "body.conditions.valid_days"),
        (
            {"conditions": {"points_cost": 1, "min_booking_total": "9.999"}},
            "body.conditions.min_booking_total",
        ),
        (
            {"conditions": {"points_cost": 1, "product_id": str(uuid.uuid4())}},
            "body.conditions.product_id",
        ),
        (
            {"conditions": {"points_cost": 1, "service_ids": [str(uuid.uuid4())]}},
            "body.conditions.service_ids.0",
        ),
        ({"conditions": {"points_cost": 1, "service_ids": []}}, "body.conditions.service_ids"),
        ({"stock": -1}, "body.stock"),
        ({"name": "  "}, "body.name"),
        ({"id": str(uuid.uuid4())}, "body.id"),
    ],
)
async def test_terms_that_do_not_fit_are_a_422_with_the_path_and_store_nothing(
    client: httpx.AsyncClient, admin: Caller, body: dict[str, Any], path: str
) -> None:
    base = {"name": "R", "type": "discount_amount", "value": "5", "conditions": {"points_cost": 1}}
    response = await _post(client, admin, {**base, **body})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert path in [error["path"] for error in response.json()["errors"]]
    listed = await client.get(f"{API}/rewards", headers=admin.headers)
    assert listed.json()["items"] == []


async def test_free_rewards_name_what_they_give_and_nothing_else(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    cut, balm = await a_service(db), await a_product(db)
    service = await make_reward(
        client, admin, type="free_service", value=None, conditions={"service_id": str(cut)}
    )
    product = await make_reward(
        client, admin, type="free_product", conditions={"product_id": str(balm)}, value="0"
    )
    assert (service["value"], service["conditions"]["service_id"]) == ("0", str(cut))
    assert product["conditions"]["product_id"] == str(balm)
    wrong = {"points_cost": 1, "service_id": str(cut), "product_id": str(balm)}
    refused = await _post(client, admin, {"name": "R", "type": "free_product", "conditions": wrong})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["path"] == "body.conditions.service_id"
    scoped = {"points_cost": 1, "service_ids": [str(cut)], "service_id": str(cut)}
    refused = await _post(
        client, admin, {"name": "R", "type": "free_service", "conditions": scoped}
    )
    assert refused.json()["errors"][0]["path"] == "body.conditions.service_ids"


async def test_everyone_signed_in_reads_the_active_catalogue_and_managers_all_of_it(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    shown = await make_reward(client, admin, name="Shown")
    hidden = await make_reward(client, admin, name="Hidden")
    assert (await _patch(client, admin, hidden["id"], {"is_active": False})).status_code == 200
    customer = await signed_in(app, db, role="customer")
    for caller, include in ((customer, "true"), (admin, "false")):
        listed = await client.get(
            f"{API}/rewards", headers=caller.headers, params={"include_inactive": include}
        )
        assert [r["name"] for r in listed.json()["items"]] == ["Shown"]
    everything = await client.get(
        f"{API}/rewards", headers=admin.headers, params={"include_inactive": "true"}
    )
    assert [r["name"] for r in everything.json()["items"]] == ["Hidden", "Shown"]  # newest first
    one = await client.get(f"{API}/rewards/{hidden['id']}", headers=customer.headers)
    assert one.status_code == 404
    assert (await client.get(f"{API}/rewards/{shown['id']}", headers=customer.headers)).is_success
    params: dict[str, str | int] = {"limit": 1, "include_inactive": "true"}
    page = await client.get(f"{API}/rewards", headers=admin.headers, params=params)
    assert page.json()["next_cursor"] is not None
    assert (await client.get(f"{API}/rewards")).status_code == 401


@pytest.mark.parametrize(("role", "expected"), [("manager", 201), ("receptionist", 403)])
async def test_only_rewards_managers_change_the_catalogue(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    role: str,
    expected: int,
) -> None:
    caller = await signed_in(app, db, role=role)
    body = {"name": "R", "type": "discount_amount", "value": "5", "conditions": {"points_cost": 1}}
    assert (await _post(client, caller, body)).status_code == expected
    reward = await make_reward(client, admin)
    patched = await _patch(client, caller, reward["id"], {"name": "New"})
    assert patched.status_code == (200 if expected == 201 else 403)


async def test_a_reward_changes_until_redeemed_then_its_terms_are_frozen(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    reward = await make_reward(client, admin, cost=50)
    changed = await _patch(
        client, admin, reward["id"], {"type": "discount_percent", "value": "20", "stock": 3}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["type"], changed.json()["value"], changed.json()["stock"]) == (
        "discount_percent",
        "20",
        3,
    )
    refused = await _patch(client, admin, reward["id"], {"value": "150"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["path"] == "body.value"
    customer_id = await new_customer(db, points=50)
    assert (await redeem(client, admin, reward["id"], customer_id)).status_code == 201
    with_minimum = {"conditions": {"points_cost": 50, "min_booking_total": "1"}}
    for terms in ({"value": "25"}, {"type": "discount_amount"}, with_minimum):
        locked = await _patch(client, admin, reward["id"], terms)
        assert locked.status_code == 409, terms
        assert locked.json()["code"] == "reward_terms_locked"
    fine = {
        "name": "Twenty percent",
        "description": None,
        "stock": None,
        "is_active": False,
        "conditions": {"points_cost": 80, "valid_days": 7},
        "value": "20.00",  # the same value, written differently
    }
    allowed = await _patch(client, admin, reward["id"], fine)
    assert allowed.status_code == 200, allowed.text
    after = allowed.json()
    assert (after["name"], after["stock"], after["is_active"], after["points_cost"]) == (
        "Twenty percent",
        None,
        False,
        80,
    )
    async with db() as session:
        audited = await session.scalar(
            select(AuditLog)
            .where(AuditLog.action == "reward.update")
            .order_by(AuditLog.sequence.desc())
            .limit(1)
        )
    assert audited is not None
    assert audited.details is not None
    assert audited.details["after"]["is_active"] is False


async def test_a_reward_is_deleted_only_while_nobody_redeemed_it(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    unused = await make_reward(client, admin)
    gone = await client.delete(f"{API}/rewards/{unused['id']}", headers=admin.headers)
    assert gone.status_code == 204
    assert (
        await client.get(f"{API}/rewards/{unused['id']}", headers=admin.headers)
    ).status_code == 404
    used = await make_reward(client, admin, cost=10)
    assert (await redeem(client, admin, used["id"], await new_customer(db, 10))).status_code == 201
    kept = await client.delete(f"{API}/rewards/{used['id']}", headers=admin.headers)
    assert (kept.status_code, kept.json()["code"]) == (409, "reward_in_use")
    missing = await client.delete(f"{API}/rewards/{uuid.uuid4()}", headers=admin.headers)
    assert missing.status_code == 404
