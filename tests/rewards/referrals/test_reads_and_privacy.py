"""Reading referrals (staff list, a customer's own summary) and SECURITY.md 25: the
export holds referrals on both sides, erasure drops the code and says so."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.business.payments.support import ok, pay
from tests.events import listening
from tests.rewards.referrals.conftest import (
    API,
    REFERRALS,
    new_booking,
    new_customer,
    set_rules,
)
from tests.security.audit.callers import Caller, signed_in

ME = f"{API}/me/customers"


async def _list(client: httpx.AsyncClient, caller: Caller, **params: Any) -> httpx.Response:
    return await client.get(REFERRALS, headers=caller.headers, params=params)


async def test_staff_list_filter_and_page_referrals(
    client: httpx.AsyncClient, desk: Caller, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    await set_rules(db, points=5)
    ada = await new_customer(client, desk, "Ada")
    brought = [
        await new_customer(client, desk, f"Friend {n}", referred_by=ada["referral_code"])
        for n in range(3)
    ]
    other = await new_customer(client, desk, "Zed", referred_by=brought[0]["referral_code"])
    booking = await new_booking(db, admin, brought[2]["id"], "10.00")
    ok(await pay(client, admin, booking, "10"))

    first = await _list(client, admin, referrer_id=ada["id"], limit=2)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [item["referred_id"] for item in page["items"]] == [brought[2]["id"], brought[1]["id"]]
    rest = (await _list(client, admin, referrer_id=ada["id"], cursor=page["next_cursor"])).json()
    assert [item["referred_id"] for item in rest["items"]] == [brought[0]["id"]]
    assert rest["next_cursor"] is None
    done = (await _list(client, admin, status="completed")).json()["items"]
    assert [(i["referred_id"], i["reward_points"]) for i in done] == [(brought[2]["id"], 5)]
    by_referred = (await _list(client, admin, referred_id=other["id"])).json()["items"]
    assert [item["referrer_id"] for item in by_referred] == [brought[0]["id"]]
    assert len((await _list(client, admin)).json()["items"]) == 4
    bad = await _list(client, admin, status="paid")
    assert bad.status_code == 422


async def test_listing_needs_referrals_read(
    app: FastAPI, client: httpx.AsyncClient, desk: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    account = await signed_in(app, db, role="customer")
    assert (await client.get(REFERRALS)).status_code == 401
    for caller in (desk, account):
        refused = await _list(client, caller)
        assert refused.status_code == 403
        assert refused.json()["permission"] == "referrals:read"


async def _own(client: httpx.AsyncClient, caller: Caller, customer_id: str) -> httpx.Response:
    return await client.get(f"{ME}/{customer_id}/referral", headers=caller.headers)


async def test_a_customer_reads_their_code_and_referrals(
    client: httpx.AsyncClient,
    desk: Caller,
    admin: Caller,
    account: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    await set_rules(db, points=20)
    ada = await new_customer(client, desk, "Ada")
    mine = await client.post(
        ME, headers=account.headers, json={"name": "Me", "referred_by": ada["referral_code"]}
    )
    me = mine.json()
    friends = [
        await new_customer(client, desk, f"Friend {n}", referred_by=me["referral_code"])
        for n in range(2)
    ]
    for customer in (me, friends[0]):  # my first booking, then a friend's
        booking = await new_booking(db, admin, customer["id"], "10.00")
        ok(await pay(client, admin, booking, "10"))

    response = await _own(client, account, me["id"])
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["customer_id"], summary["referral_code"]) == (me["id"], me["referral_code"])
    assert summary["points_earned"] == 40  # welcomed once, and a friend paid
    assert summary["referred_by"]["status"] == "completed"
    assert summary["counts"] == {"pending": 1, "completed": 1, "cancelled": 0}
    assert [item["status"] for item in summary["items"]] == ["pending", "completed"]
    # Nobody else is named: not the referrer, not the friends.
    text = response.text
    assert ada["id"] not in text
    assert all(friend["id"] not in text for friend in friends)
    assert "Friend" not in text


async def test_another_accounts_or_an_erased_profile_is_not_found(
    app: FastAPI,
    client: httpx.AsyncClient,
    desk: Caller,
    admin: Caller,
    account: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    stranger = await new_customer(client, desk, "Stranger")
    assert (await _own(client, account, stranger["id"])).status_code == 404
    assert (await _own(client, account, str(uuid.uuid4()))).status_code == 404
    mine = (await client.post(ME, headers=account.headers, json={"name": "Me"})).json()
    await client.post(ME, headers=account.headers, json={"name": "Kid"})  # stay signed in
    erased = await client.post(f"{API}/customers/{mine['id']}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    assert (await _own(client, account, mine["id"])).status_code == 404


async def test_the_export_holds_referrals_on_both_sides(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    ada = await new_customer(client, admin, "Ada")
    bo = await new_customer(client, admin, "Bo", referred_by=ada["referral_code"])
    for customer in (ada, bo):
        exported = await client.get(
            f"{API}/customers/{customer['id']}/export", headers=admin.headers
        )
        assert exported.status_code == 200, exported.text
        [referral] = exported.json()["related"]["referrals"]
        assert (referral["referrer_id"], referral["referred_id"]) == (ada["id"], bo["id"])
        assert exported.json()["customer"]["referral_code"] == customer["referral_code"]


async def test_erasure_drops_the_code_keeps_the_referral_and_is_announced(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    ada = await new_customer(client, admin, "Ada")
    bo = await new_customer(client, admin, "Bo", referred_by=ada["referral_code"])
    with listening("customer.erased") as announced:
        erased = await client.post(f"{API}/customers/{ada['id']}/erase", headers=admin.headers)
        assert erased.status_code == 200, erased.text
        again = await client.post(f"{API}/customers/{ada['id']}/erase", headers=admin.headers)
        assert again.status_code == 200
    assert [event.payload for event in announced] == [
        {"customer_id": uuid.UUID(ada["id"]), "actor_id": admin.user_id}
    ]  # once: erasing again changes nothing
    assert erased.json()["referral_code"] is None
    kept = (await _list(client, admin, referred_id=bo["id"])).json()["items"]
    assert [item["referrer_id"] for item in kept] == [ada["id"]]
