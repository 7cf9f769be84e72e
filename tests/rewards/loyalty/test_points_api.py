"""The points routes: staff read any customer's balance and history (``loyalty:read``)
and adjust it with a reason (``loyalty:adjust``, audited, idempotent with a key); a
customer account reads only its own profiles' points, any other id is a 404."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.security.audit.models import AuditLog
from tests.business.payments.support import ok, pay
from tests.rewards.loyalty.conftest import (
    API,
    NewBooking,
    ledger,
    new_customer,
    points_of,
    set_rules,
)
from tests.security.audit.callers import Caller, signed_in


def _adjust(
    client: httpx.AsyncClient,
    caller: Caller,
    customer_id: uuid.UUID | str,
    body: Any,
    key: str | None = None,
) -> Any:
    headers = {**caller.headers, **({"Idempotency-Key": key} if key else {})}
    url = f"{API}/customers/{customer_id}/points/adjustments"
    return client.post(url, headers=headers, json=body)


async def _own_profile(client: httpx.AsyncClient, account: Caller) -> str:
    response = await client.post(
        f"{API}/me/customers", headers=account.headers, json={"name": "Me"}
    )
    assert response.status_code == 201, response.text
    profile: str = response.json()["id"]
    return profile


async def test_staff_see_the_balance_and_the_history_newest_first_in_pages(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    await set_rules(db, rate="1")
    customer_id = await new_customer(db)
    booking = await new_booking("20.00", customer_id)
    ok(await pay(client, admin, booking, "20"))
    for points in (5, -3):
        ok(await _adjust(client, admin, customer_id, {"points": points, "reason": "desk"}))
    first = await points_of(client, admin, customer_id, limit=2)
    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["customer_id"], page["balance"], page["expiry_months"]) == (
        str(customer_id),
        22,
        0,
    )
    assert page["next_expiry"] is None
    assert [(r["reason"], r["points"], r["balance_after"]) for r in page["items"]] == [
        ("adjustment", -3, 22),
        ("adjustment", 5, 25),
    ]
    assert page["items"][0]["actor_user_id"] == str(admin.user_id)
    rest = (await points_of(client, admin, customer_id, cursor=page["next_cursor"])).json()
    [earned] = rest["items"]
    assert rest["next_cursor"] is None
    assert (earned["reason"], earned["points"], earned["booking_id"]) == ("earn", 20, str(booking))
    assert (earned["amount"], earned["currency"]) == ("20", "EUR")
    assert {"reward_id", "referral_id", "expires_at", "note", "created_at"} <= earned.keys()


async def test_an_adjustment_needs_a_reason_and_is_audited(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await new_customer(db, points=10)
    made = await _adjust(client, admin, customer_id, {"points": 15, "reason": " birthday "})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["balance"] == 25
    assert (body["transaction"]["reason"], body["transaction"]["note"]) == (
        "adjustment",
        "birthday",
    )
    async with db() as session:
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "loyalty.adjust"))
    assert audit is not None
    assert (audit.user_id, audit.resource) == (admin.user_id, f"customer:{customer_id}")
    assert audit.details == {"points": 15, "reason": "birthday"}


@pytest.mark.parametrize(
    "body",
    [
        {"points": 5},
        {"points": 5, "reason": "   "},
        {"points": 5, "reason": "x" * 501},
        {"points": 0, "reason": "nothing"},
        {"points": 100_001, "reason": "typo"},
        {"points": -100_001, "reason": "typo"},
        {"points": "5", "reason": "a string"},
        {"points": 5.0, "reason": "a float"},
        {"points": True, "reason": "a boolean"},
        {"points": 5, "reason": "ok", "balance_after": 99},
        {"reason": "no points"},
    ],
)
async def test_a_malformed_adjustment_is_a_422(
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
    body: dict[str, Any],
) -> None:
    customer_id = await new_customer(db, points=10)
    refused = await _adjust(client, admin, customer_id, body)
    assert refused.status_code == 422, refused.text
    assert (await ledger(db, customer_id))["rows"] == [("adjustment", 10)]


async def test_an_adjustment_past_the_balance_or_for_nobody_is_refused(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await new_customer(db, points=10)
    refused = await _adjust(client, admin, customer_id, {"points": -11, "reason": "too much"})
    assert refused.status_code == 409
    assert (refused.json()["code"], refused.json()["available"]) == ("insufficient_points", 10)
    unknown = await _adjust(client, admin, uuid.uuid4(), {"points": 1, "reason": "nobody"})
    assert unknown.status_code == 404
    async with db() as session:  # a refused adjustment leaves no audit row either
        assert (
            await session.scalar(select(AuditLog).where(AuditLog.action == "loyalty.adjust"))
            is None
        )


async def test_an_erased_customer_keeps_the_ledger_but_takes_no_adjustment(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await new_customer(db, points=10)
    erased = await client.post(f"{API}/customers/{customer_id}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    refused = await _adjust(client, admin, customer_id, {"points": 1, "reason": "gift"})
    assert refused.status_code == 404
    assert (await points_of(client, admin, customer_id)).json()["balance"] == 10


async def test_an_idempotency_key_replays_the_adjustment(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await new_customer(db)
    body = {"points": 7, "reason": "goodwill"}
    first = await _adjust(client, admin, customer_id, body, key="adj-1")
    again = await _adjust(client, admin, customer_id, body, key="adj-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    other = await _adjust(client, admin, customer_id, {**body, "points": 8}, key="adj-1")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert (await ledger(db, customer_id))["rows"] == [("adjustment", 7)]


async def test_ten_concurrent_adjustments_of_minus_30_on_100_leave_exactly_three(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    customer_id = await new_customer(db, points=100)
    body = {"points": -30, "reason": "redeemed"}
    responses = await asyncio.gather(
        *(_adjust(client, admin, customer_id, body) for _ in range(10))
    )
    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 7
    state = await ledger(db, customer_id)
    assert state["balance"] == state["sum"] == 10


@pytest.mark.parametrize(
    ("role", "read", "adjust"),
    [
        ("manager", 200, 201),
        ("receptionist", 200, 403),
        ("staff", 200, 403),
        ("customer", 403, 403),
        (None, 403, 403),
    ],
)
async def test_who_may_read_and_adjust(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    admin: Caller,
    role: str | None,
    read: int,
    adjust: int,
) -> None:
    caller = await signed_in(app, db, role=role)
    customer_id = await new_customer(db, points=5)
    assert (await points_of(client, caller, customer_id)).status_code == read
    made = await _adjust(client, caller, customer_id, {"points": 1, "reason": "r"})
    assert made.status_code == adjust
    anonymous = Caller(user_id=uuid.uuid4(), headers={})
    assert (await points_of(client, anonymous, customer_id)).status_code == 401


async def test_a_customer_reads_only_its_own_points(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    account = await signed_in(app, db, role="customer")
    mine = await _own_profile(client, account)
    ok(await _adjust(client, admin, mine, {"points": 12, "reason": "welcome gift"}))
    own = await client.get(f"{API}/me/customers/{mine}/points", headers=account.headers)
    assert own.status_code == 200, own.text
    body = own.json()
    assert (body["balance"], [r["note"] for r in body["items"]]) == (12, ["welcome gift"])
    assert "actor_user_id" not in body["items"][0]  # which staff member: not the customer's
    someone_else = await new_customer(db, points=50)
    other = await signed_in(app, db, role="customer")
    theirs = await _own_profile(client, other)
    for customer_id in (someone_else, theirs, uuid.uuid4()):
        response = await client.get(
            f"{API}/me/customers/{customer_id}/points", headers=account.headers
        )
        assert response.status_code == 404, customer_id
    await _own_profile(client, account)  # a second profile keeps the account signed in
    erased = await client.post(f"{API}/customers/{mine}/erase", headers=admin.headers)
    assert erased.status_code == 200
    gone = await client.get(f"{API}/me/customers/{mine}/points", headers=account.headers)
    assert gone.status_code == 404
