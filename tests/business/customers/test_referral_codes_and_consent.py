"""What the business layer owns of referrals and marketing: a code on every profile,
``customer.created`` carrying the referrer, and marketing consent as a true/false."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from tests.events import listening
from tests.security.audit.callers import Caller, signed_in

STAFF = "/api/v1/customers"
ME = "/api/v1/me/customers"


@pytest.fixture
async def desk(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    return await signed_in(app, db, role="receptionist")


@pytest.fixture
async def account(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    return await signed_in(app, db, role="customer")


async def test_creation_is_announced_with_the_referrer(
    client: httpx.AsyncClient, desk: Caller
) -> None:
    with listening("customer.created") as announced:
        ada = (await client.post(STAFF, headers=desk.headers, json={"name": "Ada"})).json()
        body = {"name": "Bo", "referred_by": ada["referral_code"].lower()}
        bo = (await client.post(STAFF, headers=desk.headers, json=body)).json()
    assert [event.payload for event in announced] == [
        {
            "customer_id": uuid.UUID(ada["id"]),
            "user_id": None,
            "referral_code_used": None,
            "referrer_id": None,
            "actor_id": desk.user_id,
        },
        {
            "customer_id": uuid.UUID(bo["id"]),
            "user_id": None,
            "referral_code_used": ada["referral_code"],  # as stored, not as typed
            "referrer_id": uuid.UUID(ada["id"]),
            "actor_id": desk.user_id,
        },
    ]
    assert ada["referral_code"] != bo["referral_code"]


@pytest.mark.parametrize("consent", ["yes", 1, None, "true", {"email": True}])
async def test_marketing_consent_is_true_or_false(
    client: httpx.AsyncClient, desk: Caller, account: Caller, consent: Any
) -> None:
    preferences = {"marketing": consent}
    created = await client.post(
        STAFF, headers=desk.headers, json={"name": "Ada", "preferences": preferences}
    )
    assert created.status_code == 422, created.text
    assert created.json()["errors"][0]["path"] == "body.preferences"
    own = await client.post(
        ME, headers=account.headers, json={"name": "Me", "preferences": preferences}
    )
    assert own.status_code == 422, own.text
    assert (await client.get(STAFF, headers=desk.headers)).json()["items"] == []


async def test_marketing_consent_is_given_and_taken_back(
    client: httpx.AsyncClient, desk: Caller, account: Caller
) -> None:
    opted_in = {"name": "Ada", "preferences": {"marketing": True, "stylist": "Grace"}}
    ada = (await client.post(STAFF, headers=desk.headers, json=opted_in)).json()
    assert ada["preferences"] == {"marketing": True, "stylist": "Grace"}
    url = f"{STAFF}/{ada['id']}"
    refused = await client.patch(url, headers=desk.headers, json={"preferences": {"marketing": 0}})
    assert refused.status_code == 422
    withdrawn = await client.patch(
        url, headers=desk.headers, json={"preferences": {"marketing": False}}
    )
    assert withdrawn.json()["preferences"] == {"marketing": False}
    mine = (await client.post(ME, headers=account.headers, json={"name": "Me"})).json()
    own_url = f"{ME}/{mine['id']}"
    assert (
        await client.patch(
            own_url, headers=account.headers, json={"preferences": {"marketing": "no"}}
        )
    ).status_code == 422
    given = await client.patch(
        own_url, headers=account.headers, json={"preferences": {"marketing": True}}
    )
    assert given.json()["preferences"] == {"marketing": True}
