"""Redeeming a reward: the balance, the stock and the voucher move together or not at
all; concurrent redemptions never overspend points or stock (several real connections,
both engines); a customer redeems only with its own profiles."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core import clock as core_clock
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import open_session
from frontdesk.core.request_context import RequestMeta
from frontdesk.rewards.catalogue import vouchers
from frontdesk.rewards.loyalty.ledger import InsufficientPointsError
from frontdesk.security.audit.models import AuditLog
from tests.rewards.catalogue.conftest import (
    API,
    ledger,
    make_reward,
    new_customer,
    own_profile,
    redeem,
    stock_of,
    vouchers_of,
)
from tests.security.audit.callers import Caller, signed_in

META = RequestMeta(ip=None, user_agent=None, request_id=None)


async def test_a_redemption_debits_the_points_and_yields_a_voucher(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    reward = await make_reward(client, admin, cost=120, stock=2, conditions={"valid_days": 30})
    customer_id = await new_customer(db, points=200)
    response = await redeem(client, admin, reward["id"], customer_id)
    assert response.status_code == 201, response.text
    body = response.json()
    voucher = body["voucher"]
    assert body["balance"] == 80
    assert (voucher["status"], voucher["points_spent"], voucher["customer_id"]) == (
        "issued",
        120,
        str(customer_id),
    )
    assert (voucher["reward_name"], voucher["booking_id"]) == ("Ten off", None)
    expires = core_clock.now() + timedelta(days=30)
    assert voucher["expires_at"] == expires.isoformat().replace("+00:00", "Z")
    state = await ledger(db, customer_id)
    assert state["rows"] == [("adjustment", 200), ("redeem", -120)]
    assert state["balance"] == state["sum"] == 80
    assert state["last"].reward_id == uuid.UUID(reward["id"])
    assert state["last"].actor_user_id == admin.user_id
    assert await stock_of(db, reward["id"]) == 1
    async with db() as session:
        audited = await session.scalar(
            select(AuditLog).where(AuditLog.action == "reward_voucher.redeem")
        )
    assert audited is not None
    assert audited.resource == f"reward_voucher:{voucher['id']}"
    assert audited.details == {
        "reward_id": reward["id"],
        "customer_id": str(customer_id),
        "points": 120,
    }


async def test_a_refused_redemption_leaves_no_trace(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    reward = await make_reward(client, admin, cost=100, stock=1)
    poor = await new_customer(db, points=99)
    short = await redeem(client, admin, reward["id"], poor)
    assert (short.status_code, short.json()["code"], short.json()["available"]) == (
        409,
        "insufficient_points",
        99,
    )
    assert (await stock_of(db, reward["id"]), await vouchers_of(db, reward["id"])) == (1, 0)
    assert (await ledger(db, poor))["rows"] == [("adjustment", 99)]
    rich = await new_customer(db, points=500)
    assert (await redeem(client, admin, reward["id"], rich)).status_code == 201
    sold_out = await redeem(client, admin, reward["id"], rich)
    assert (sold_out.status_code, sold_out.json()["code"]) == (409, "reward_out_of_stock")
    assert (await ledger(db, rich))["balance"] == 400
    await client.patch(f"{API}/rewards/{reward['id']}", headers=admin.headers, json={"stock": 5})
    await client.patch(
        f"{API}/rewards/{reward['id']}", headers=admin.headers, json={"is_active": False}
    )
    inactive = await redeem(client, admin, reward["id"], rich)
    assert (inactive.status_code, inactive.json()["code"]) == (409, "reward_unavailable")
    assert (await redeem(client, admin, str(uuid.uuid4()), rich)).status_code == 404
    assert (await redeem(client, admin, reward["id"], uuid.uuid4())).status_code == 404
    async with db() as session:
        audited = await session.scalar(
            select(func.count()).where(AuditLog.action == "reward_voucher.redeem")
        )
    assert audited == 1


async def test_an_erased_customer_redeems_nothing(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    reward = await make_reward(client, admin, cost=10)
    customer_id = await new_customer(db, points=50)
    erased = await client.post(f"{API}/customers/{customer_id}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    assert (await redeem(client, admin, reward["id"], customer_id)).status_code == 404
    assert (await ledger(db, customer_id))["balance"] == 50


async def test_an_idempotency_key_replays_the_redemption(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    reward = await make_reward(client, admin, cost=30)
    customer_id = await new_customer(db, points=100)
    first = await redeem(client, admin, reward["id"], customer_id, key="redeem-1")
    again = await redeem(client, admin, reward["id"], customer_id, key="redeem-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert (await ledger(db, customer_id))["balance"] == 70
    other = await redeem(client, admin, reward["id"], await new_customer(db, 30), key="redeem-1")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")


@pytest.mark.parametrize(("role", "expected"), [("manager", 201), ("receptionist", 403)])
async def test_staff_redeem_with_loyalty_adjust(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    role: str,
    expected: int,
) -> None:
    reward = await make_reward(client, admin, cost=1)
    caller = await signed_in(app, db, role=role)
    response = await redeem(client, caller, reward["id"], await new_customer(db, points=5))
    assert response.status_code == expected


async def test_a_customer_redeems_with_its_own_profiles_only(
    app: FastAPI, client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    reward = await make_reward(client, admin, cost=40)
    account, mine = await own_profile(app, db, points=100)
    url = f"{API}/me/customers/{mine}/rewards/{reward['id']}/redeem"
    response = await client.post(url, headers={**account.headers, "Idempotency-Key": "k1"})
    assert response.status_code == 201, response.text
    assert response.json()["balance"] == 60
    replay = await client.post(url, headers={**account.headers, "Idempotency-Key": "k1"})
    assert replay.json() == response.json()
    assert (await ledger(db, mine))["balance"] == 60
    assert (await ledger(db, mine))["last"].actor_user_id == account.user_id
    theirs = await new_customer(db, points=100)
    for customer_id in (theirs, uuid.uuid4()):
        other = f"{API}/me/customers/{customer_id}/rewards/{reward['id']}/redeem"
        assert (await client.post(other, headers=account.headers)).status_code == 404
    assert (await ledger(db, theirs))["balance"] == 100
    mine_list = await client.get(f"{API}/me/customers/{mine}/vouchers", headers=account.headers)
    assert [v["id"] for v in mine_list.json()["items"]] == [response.json()["voucher"]["id"]]
    their_list = await client.get(f"{API}/me/customers/{theirs}/vouchers", headers=account.headers)
    assert their_list.status_code == 404
    await client.patch(
        f"{API}/rewards/{reward['id']}", headers=admin.headers, json={"is_active": False}
    )
    hidden = await client.post(url, headers=account.headers)
    assert hidden.status_code == 404  # not in the catalogue a customer sees
    assert (await client.get(f"{API}/rewards/vouchers", headers=account.headers)).status_code == 403


async def test_ten_concurrent_redemptions_spend_exactly_the_points_there_are(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    reward = await make_reward(client, admin, cost=30)
    customer_id = await new_customer(db, points=100)
    responses = await asyncio.gather(
        *(redeem(client, admin, reward["id"], customer_id) for _ in range(10))
    )
    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 7
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_points"}
    assert await vouchers_of(db, reward["id"]) == 3
    state = await ledger(db, customer_id)
    assert state["balance"] == state["sum"] == state["last"].balance_after == 10


async def test_a_stock_of_three_among_ten_customers_gives_exactly_three_vouchers(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    reward = await make_reward(client, admin, cost=10, stock=3)
    customers = [await new_customer(db, points=10) for _ in range(10)]
    responses = await asyncio.gather(*(redeem(client, admin, reward["id"], c) for c in customers))
    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 7
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"reward_out_of_stock"}
    assert (await stock_of(db, reward["id"]), await vouchers_of(db, reward["id"])) == (0, 3)
    balances = sorted([(await ledger(db, c))["balance"] for c in customers])
    assert balances == [0] * 3 + [10] * 7


async def test_concurrent_service_redemptions_on_separate_connections_never_overspend(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    """Each redemption in its own session and transaction on its own pooled connection,
    all started together: 2 of 8 on 50 points at 25 each; 3 of 8 on a stock of 3."""
    expensive = await make_reward(client, admin, cost=25)
    limited = await make_reward(client, admin, cost=1, stock=3)
    saver, collector = await new_customer(db, points=50), await new_customer(db, points=100)
    start_together = asyncio.Event()
    connections: set[int] = set()

    async def attempt(reward_id: str, customer_id: uuid.UUID) -> str:
        async with open_session(db, write=True) as session:
            await start_together.wait()
            conn = await session.connection()
            connections.add(id((await conn.get_raw_connection()).dbapi_connection))
            try:
                await vouchers.redeem(
                    session,
                    uuid.UUID(reward_id),
                    customer_id,
                    actor_id=admin.user_id,
                    meta=META,
                    now=core_clock.now(),
                )
                await session.commit()
            except (InsufficientPointsError, vouchers.OutOfStockError) as refused:
                await session.rollback()
                return refused.code
            return "redeemed"

    tasks = [asyncio.create_task(attempt(expensive["id"], saver)) for _ in range(8)]
    tasks += [asyncio.create_task(attempt(limited["id"], collector)) for _ in range(8)]
    await asyncio.sleep(0)
    start_together.set()
    outcomes = await asyncio.gather(*tasks)
    assert len(connections) > 1, "the redemptions must run on several real connections"
    assert sorted(outcomes[:8]) == ["insufficient_points"] * 6 + ["redeemed"] * 2
    assert sorted(outcomes[8:]) == ["redeemed"] * 3 + ["reward_out_of_stock"] * 5
    assert (await vouchers_of(db, expensive["id"]), await vouchers_of(db, limited["id"])) == (2, 3)
    assert await stock_of(db, limited["id"]) == 0
    for customer_id, left in ((saver, 0), (collector, 97)):
        state = await ledger(db, customer_id)
        assert state["balance"] == state["sum"] == state["last"].balance_after == left


async def test_the_export_carries_the_vouchers_and_erasure_keeps_them(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    reward = await make_reward(client, admin, cost=40)
    customer_id = await new_customer(db, points=100)
    redeemed = await redeem(client, admin, reward["id"], customer_id)
    assert redeemed.status_code == 201, redeemed.text
    voucher_id = redeemed.json()["voucher"]["id"]

    exported = await client.get(f"{API}/customers/{customer_id}/export", headers=admin.headers)
    assert exported.status_code == 200, exported.text
    rows = exported.json()["related"]["reward_vouchers"]
    assert [(row["id"], row["status"], row["points_spent"]) for row in rows] == [
        (voucher_id, "issued", 40)
    ]
    erased = await client.post(f"{API}/customers/{customer_id}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    assert await vouchers_of(db, reward["id"]) == 1  # the record of what the points bought
