"""Self-service profiles (a household) and SECURITY.md 25: export and erasure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.business.scheduling.models import Appointment
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import transaction
from frontdesk.security.auth.models import EnhancedUserSession
from tests import factories
from tests.security.audit.callers import Caller, signed_in

ME = "/api/v1/me/customers"
STAFF = "/api/v1/customers"


@pytest.fixture
async def account(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    return await signed_in(app, db, role="customer")


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    return await signed_in(app, db, role="admin")


async def _visit_with_notes(
    db: async_sessionmaker[AsyncSession], customer_id: uuid.UUID, notes: str
) -> None:
    """A committed appointment of the customer, with free-text notes."""
    async with transaction(db) as session:
        staff = await factories.user(session)
        offering = await factories.service(session)
        person = await session.get_one(Customer, customer_id)
        start = datetime(2026, 12, 1, 9, tzinfo=UTC)
        visit = factories.appointment(staff=staff, client=person, offering=offering, start=start)
        visit.notes = notes
        session.add(visit)


async def _add(client: httpx.AsyncClient, caller: Caller, **body: Any) -> dict[str, Any]:
    response = await client.post(ME, headers=caller.headers, json=body)
    assert response.status_code == 201, response.text
    added: dict[str, Any] = response.json()
    return added


async def test_an_account_manages_its_household(client: httpx.AsyncClient, account: Caller) -> None:
    me = await _add(client, account, name="Ada", email="ada@example.com")
    child = await _add(client, account, name="Byron", preferences={"allergies": "none"})
    listed = (await client.get(ME, headers=account.headers)).json()
    assert [p["id"] for p in listed] == [me["id"], child["id"]]
    assert "notes" not in listed[0]  # the business's notes are not shown to customers
    changed = await client.patch(
        f"{ME}/{child['id']}", headers=account.headers, json={"name": "Byron King", "email": None}
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "Byron King"


async def test_another_accounts_profile_does_not_exist_for_you(
    app: FastAPI,
    client: httpx.AsyncClient,
    account: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    theirs = await _add(client, account, name="Ada")
    other = await signed_in(app, db, role="customer")
    for method in ("GET", "PATCH"):
        response = await client.request(
            method, f"{ME}/{theirs['id']}", headers=other.headers, json={"name": "Mallory"}
        )
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    missing = await client.get(f"{ME}/{uuid.uuid4()}", headers=other.headers)
    assert (
        missing.json()["detail"]
        == (await client.get(f"{ME}/{theirs['id']}", headers=other.headers)).json()["detail"]
    )
    assert (await client.get(ME, headers=other.headers)).json() == []


async def test_a_household_is_capped(client: httpx.AsyncClient, account: Caller) -> None:
    for number in range(10):
        await _add(client, account, name=f"Member {number}")
    refused = await client.post(ME, headers=account.headers, json={"name": "One too many"})
    assert refused.status_code == 409


@pytest.mark.parametrize("field", ["tags", "notes", "loyalty_points", "user_id"])
async def test_customers_cannot_set_business_fields(
    client: httpx.AsyncClient, account: Caller, field: str
) -> None:
    value: Any = {"tags": ["vip"], "notes": "x", "loyalty_points": 5, "user_id": str(uuid.uuid4())}
    response = await client.post(
        ME, headers=account.headers, json={"name": "A", field: value[field]}
    )
    assert response.status_code == 422


async def test_export_holds_the_profile_and_every_row_pointing_at_it(
    client: httpx.AsyncClient, admin: Caller, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    profile = await _add(client, account, name="Ada", email="ada@example.com")
    customer_id = uuid.UUID(profile["id"])
    await _visit_with_notes(db, customer_id, "Mentioned a new address in Kensington")
    response = await client.get(f"{STAFF}/{customer_id}/export", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    exported = response.json()
    assert exported["customer"]["name"] == "Ada"
    assert exported["customer"]["contact_info"] == {"email": "ada@example.com"}
    [appointment] = exported["related"]["appointments"]
    assert appointment["notes"] == "Mentioned a new address in Kensington"


async def test_erasure_pseudonymizes_keeps_the_rows_and_ends_the_last_profiles_sessions(
    client: httpx.AsyncClient, admin: Caller, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    profile = await _add(
        client, account, name="Ada Lovelace", email="ada@example.com", phone="+44 20 7946 0958"
    )
    customer_id = uuid.UUID(profile["id"])
    await _visit_with_notes(db, customer_id, "Lives at 12 Example Street")
    erased = await client.post(f"{STAFF}/{customer_id}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert body["name"].startswith("Erased customer")
    assert (body["email"], body["phone"], body["notes"]) == (None, None, None)
    assert body["anonymized_at"] is not None
    # Nothing personal left to find, the appointment kept without its notes.
    found = await client.get(
        STAFF, headers=admin.headers, params={"q": "ada", "include_erased": True}
    )
    assert found.json()["items"] == []
    async with db() as session:
        kept = await session.scalar(
            select(Appointment).where(Appointment.customer_id == customer_id)
        )
        assert kept is not None
        assert kept.notes is None
        sessions = (
            await session.scalars(
                select(EnhancedUserSession).where(EnhancedUserSession.user_id == account.user_id)
            )
        ).all()
    assert [login.status for login in sessions] == ["revoked"]
    # The account's next request is refused: its only profile is gone.
    assert (await client.get(ME, headers=account.headers)).status_code == 401
    # Erasing twice is harmless; an erased profile cannot be edited back.
    assert (
        await client.post(f"{STAFF}/{customer_id}/erase", headers=admin.headers)
    ).status_code == 200
    edit = await client.patch(f"{STAFF}/{customer_id}", headers=admin.headers, json={"name": "Ada"})
    assert edit.status_code == 404


async def test_erasing_one_of_several_profiles_keeps_the_account_signed_in(
    client: httpx.AsyncClient, admin: Caller, account: Caller
) -> None:
    first = await _add(client, account, name="Ada")
    await _add(client, account, name="Byron")
    assert (
        await client.post(f"{STAFF}/{first['id']}/erase", headers=admin.headers)
    ).status_code == 200
    remaining = (await client.get(ME, headers=account.headers)).json()
    assert [p["name"] for p in remaining] == ["Byron"]


async def test_export_and_erase_need_their_permissions(
    app: FastAPI, client: httpx.AsyncClient, account: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    profile = await _add(client, account, name="Ada")
    desk = await signed_in(app, db, role="receptionist")
    export = await client.get(f"{STAFF}/{profile['id']}/export", headers=desk.headers)
    assert export.json()["permission"] == "customers:export"
    erase = await client.post(f"{STAFF}/{profile['id']}/erase", headers=desk.headers)
    assert erase.json()["permission"] == "customers:erase"
