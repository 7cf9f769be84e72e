"""Opening referrals: at creation (desk, self-service, registration) and by the desk
later; unknown codes, self-referral and a second referral are refused and change
nothing; the database refuses what the API would."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.business.customers.referral_codes import SelfReferralError
from frontdesk.core.db import transaction
from frontdesk.core.errors import error_for_constraint
from frontdesk.rewards.referrals.models import Referral
from frontdesk.security.audit.models import AuditLog
from frontdesk.security.auth.models import User
from tests import factories
from tests.business.payments.support import ok, pay
from tests.rewards.referrals.conftest import (
    API,
    REFERRALS,
    create_customer,
    new_booking,
    new_customer,
    referrals,
)
from tests.security.accounts import STRONG_PASSWORD
from tests.security.audit.callers import Caller, signed_in

ME = f"{API}/me/customers"


async def _count(db: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _register_body(**fields: Any) -> dict[str, Any]:
    return {
        "username": "zoe",
        "email": "zoe@example.com",
        "password": STRONG_PASSWORD,
        "name": "Zoë",
        **fields,
    }


async def test_the_desk_creates_a_referred_customer_with_the_code_as_typed(
    client: httpx.AsyncClient, desk: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    ada = await new_customer(client, desk, "Ada")
    code = ada["referral_code"]
    typed = f" {code[:5].lower()}-{code[5:]} "
    bo = await new_customer(client, desk, "Bo", referred_by=typed)
    [referral] = await referrals(db)
    assert (str(referral.referrer_id), str(referral.referred_id)) == (ada["id"], bo["id"])
    assert (referral.status, referral.reward_points, referral.completed_at) == ("pending", 0, None)
    async with db() as session:
        audited = await session.scalar(select(AuditLog).where(AuditLog.action == "referral.create"))
    assert audited is not None
    assert audited.user_id == desk.user_id
    assert audited.details == {"referrer_id": ada["id"], "referred_id": bo["id"], "via": "creation"}


@pytest.mark.parametrize("code", ["ZZZZZZZZZZ", "not a code", "0" * 33])
async def test_an_unknown_code_creates_nothing(
    client: httpx.AsyncClient, desk: Caller, db: async_sessionmaker[AsyncSession], code: str
) -> None:
    await new_customer(client, desk, "Ada")
    before = (await _count(db, Customer), await _count(db, AuditLog))
    response = await create_customer(client, desk, "Bo", referred_by=code)
    if len(code) > 32:
        _problem(response, 422, "validation_failed")
    else:
        body = _problem(response, 422, "unknown_referral_code")
        assert [error["path"] for error in body["errors"]] == ["body.referred_by"]
    assert (await _count(db, Customer), await _count(db, AuditLog)) == before
    assert await referrals(db) == []


async def test_an_erased_customers_code_no_longer_refers(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    ada = await new_customer(client, admin, "Ada")
    erased = await client.post(f"{API}/customers/{ada['id']}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    assert erased.json()["referral_code"] is None  # a code points at a person
    response = await create_customer(client, admin, "Bo", referred_by=ada["referral_code"])
    _problem(response, 422, "unknown_referral_code")


async def test_a_household_cannot_refer_itself(
    client: httpx.AsyncClient, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    first = await client.post(ME, headers=account.headers, json={"name": "Ada"})
    code = first.json()["referral_code"]
    again = await client.post(ME, headers=account.headers, json={"name": "Bo", "referred_by": code})
    body = _problem(again, 422, "self_referral")
    assert [error["path"] for error in body["errors"]] == ["body.referred_by"]
    assert len((await client.get(ME, headers=account.headers)).json()) == 1
    assert await referrals(db) == []


async def test_a_profile_referred_by_another_household(
    app: FastAPI, client: httpx.AsyncClient, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    friend = await signed_in(app, db, role="customer")
    theirs = (await client.post(ME, headers=friend.headers, json={"name": "Ada"})).json()
    mine = await client.post(
        ME, headers=account.headers, json={"name": "Bo", "referred_by": theirs["referral_code"]}
    )
    assert mine.status_code == 201, mine.text
    [referral] = await referrals(db)
    assert (str(referral.referrer_id), str(referral.referred_id)) == (
        theirs["id"],
        mine.json()["id"],
    )


async def test_registering_with_a_code_opens_a_referral(
    client: httpx.AsyncClient, desk: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    ada = await new_customer(client, desk, "Ada")
    registered = await client.post(
        f"{API}/auth/register", json=_register_body(referral_code=ada["referral_code"].lower())
    )
    assert registered.status_code == 201, registered.text
    [referral] = await referrals(db)
    async with db() as session:
        profile = await session.get_one(Customer, referral.referred_id)
    assert str(profile.user_id) == registered.json()["id"]
    assert str(referral.referrer_id) == ada["id"]


async def test_registering_with_an_unknown_code_creates_no_account(
    client: httpx.AsyncClient, desk: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    await new_customer(client, desk, "Ada")
    refused = await client.post(f"{API}/auth/register", json=_register_body(referral_code="NOPE"))
    body = _problem(refused, 422, "unknown_referral_code")
    assert [error["path"] for error in body["errors"]] == ["body.referral_code"]
    async with db() as session:
        assert await session.scalar(select(User).where(User.username == "zoe")) is None
    assert await _count(db, Customer) == 1
    # The name is still free: nothing of the refused registration was kept.
    assert (await client.post(f"{API}/auth/register", json=_register_body())).status_code == 201


async def test_the_database_refuses_a_self_referral_and_a_second_referral(
    db: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(db) as session:
        ada, bo = await factories.customer(session, "Ada"), await factories.customer(session, "Bo")
        session.add(Referral(referrer_id=ada.id, referred_id=bo.id))
    with pytest.raises(IntegrityError) as refused:
        async with transaction(db) as session:
            session.add(Referral(referrer_id=ada.id, referred_id=ada.id))
    assert error_for_constraint(str(refused.value.orig)) is SelfReferralError
    with pytest.raises(IntegrityError):
        async with transaction(db) as session:
            session.add(Referral(referrer_id=ada.id, referred_id=bo.id))
    assert len(await referrals(db)) == 1


# --- the desk attaches a referral later ---------------------------------------------


async def _attach(
    client: httpx.AsyncClient, caller: Caller, customer_id: str, code: str
) -> httpx.Response:
    body = {"referred_customer_id": customer_id, "code": code}
    return await client.post(REFERRALS, headers=caller.headers, json=body)


async def test_the_desk_attaches_a_forgotten_code_once(
    client: httpx.AsyncClient, desk: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    ada, bo = await new_customer(client, desk, "Ada"), await new_customer(client, desk, "Bo")
    attached = await _attach(client, desk, bo["id"], ada["referral_code"])
    assert attached.status_code == 201, attached.text
    body = attached.json()
    assert (body["referrer_id"], body["referred_id"], body["status"]) == (
        ada["id"],
        bo["id"],
        "pending",
    )
    carla = await new_customer(client, desk, "Carla")
    again = await _attach(client, desk, bo["id"], carla["referral_code"])
    _problem(again, 409, "already_referred")
    async with db() as session:
        audited = await session.scalar(select(AuditLog).where(AuditLog.action == "referral.create"))
    assert audited is not None
    assert audited.user_id == desk.user_id
    assert audited.details == {"referrer_id": ada["id"], "referred_id": bo["id"], "via": "attach"}
    assert len(await referrals(db)) == 1


async def test_attaching_is_refused_for_oneself_unknown_customers_and_after_a_paid_booking(
    client: httpx.AsyncClient, desk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    ada, bo = await new_customer(client, desk, "Ada"), await new_customer(client, desk, "Bo")
    own = _problem(
        await _attach(client, desk, ada["id"], ada["referral_code"]), 422, "self_referral"
    )
    assert [error["path"] for error in own["errors"]] == ["body.code"]
    nobody = await _attach(client, desk, str(uuid.uuid4()), ada["referral_code"])
    assert _problem(nobody, 422, "validation_failed")["errors"][0]["path"] == (
        "body.referred_customer_id"
    )
    unknown = await _attach(client, desk, bo["id"], "ZZZZZZZZZZ")
    _problem(unknown, 422, "unknown_referral_code")
    booking = await new_booking(db, admin, bo["id"], "20.00")
    ok(await pay(client, admin, booking, "20"))
    _problem(await _attach(client, desk, bo["id"], ada["referral_code"]), 409, "referral_too_late")
    assert await referrals(db) == []


async def test_two_desks_attaching_at_once_open_one_referral(
    client: httpx.AsyncClient, desk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    ada, bo = await new_customer(client, desk, "Ada"), await new_customer(client, desk, "Bo")
    carla = await new_customer(client, desk, "Carla")
    responses = await asyncio.gather(
        _attach(client, desk, carla["id"], ada["referral_code"]),
        _attach(client, admin, carla["id"], bo["referral_code"]),
    )
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    assert [r.json()["code"] for r in responses if r.status_code == 409] == ["already_referred"]
    assert len(await referrals(db)) == 1


async def test_attaching_needs_customers_update(
    app: FastAPI,
    client: httpx.AsyncClient,
    desk: Caller,
    account: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    ada, bo = await new_customer(client, desk, "Ada"), await new_customer(client, desk, "Bo")
    staff = await signed_in(app, db, role="staff")
    body = {"referred_customer_id": bo["id"], "code": ada["referral_code"]}
    assert (await client.post(REFERRALS, json=body)).status_code == 401
    for caller in (staff, account):
        refused = await client.post(REFERRALS, headers=caller.headers, json=body)
        assert _problem(refused, 403, "permission_denied")["permission"] == "customers:update"
    extra = {**body, "status": "completed"}
    _problem(
        await client.post(REFERRALS, headers=desk.headers, json=extra), 422, "validation_failed"
    )
    assert await referrals(db) == []
