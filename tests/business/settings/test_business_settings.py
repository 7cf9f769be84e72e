"""Business settings: public to read, ``settings:manage`` to change, audited, validated."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.security.audit.models import AuditLog
from tests.security.audit.callers import Caller, signed_in

URL = "/api/v1/settings/business"


@pytest.fixture
async def admin(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    return await signed_in(app, db, role="admin")


async def test_anyone_reads_the_seeded_defaults(client: httpx.AsyncClient) -> None:
    response = await client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["time_zone"] == "UTC"
    assert body["currency"] == "EUR"
    assert body["slot_step_minutes"] == 15
    assert body["online_bookings_need_confirmation"] is False


async def test_an_admin_changes_settings_and_the_change_is_audited(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.patch(
        URL,
        headers=admin.headers,
        json={"time_zone": "Europe/Paris", "slot_step_minutes": 30, "currency": "EUR"},
    )
    assert response.status_code == 200, response.text
    assert (await client.get(URL)).json()["time_zone"] == "Europe/Paris"
    async with db() as session:
        row = await session.scalar(select(AuditLog).where(AuditLog.action == "settings.update"))
    assert row is not None
    assert row.user_id == admin.user_id
    details: dict[str, Any] = row.details or {}
    # Only what changed: the currency was sent but already EUR.
    assert details["before"] == {"slot_step_minutes": 15, "time_zone": "UTC"}
    assert details["after"] == {"slot_step_minutes": 30, "time_zone": "Europe/Paris"}


@pytest.mark.parametrize(
    "body",
    [
        {"time_zone": "Mars/Olympus_Mons"},
        {"currency": "euro"},
        {"slot_step_minutes": 7},  # does not divide a day
        {"slot_step_minutes": 0},
        {"horizon_days": 0},
        {"min_notice_minutes": -1},
        {"id": 2},  # no mass assignment
        {"updated_by": "00000000-0000-0000-0000-000000000000"},
    ],
)
async def test_bad_settings_are_refused_and_change_nothing(
    client: httpx.AsyncClient, admin: Caller, body: dict[str, Any]
) -> None:
    before = (await client.get(URL)).json()
    response = await client.patch(URL, headers=admin.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get(URL)).json() == before


async def test_changing_settings_needs_the_permission(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    staff = await signed_in(app, db, role="staff")
    denied = await client.patch(URL, headers=staff.headers, json={"horizon_days": 30})
    assert denied.status_code == 403
    assert denied.json()["permission"] == "settings:manage"
    assert (await client.patch(URL, json={"horizon_days": 30})).status_code == 401
    assert (await client.get(URL)).json()["horizon_days"] == 90


async def test_the_name_and_address_printed_on_receipts(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    assert (await client.get(URL)).json()["business_name"] == "frontdesk"
    named = await client.patch(
        URL,
        headers=admin.headers,
        json={"business_name": "Salon Ada", "business_address": "1 Rue de Rivoli\n75001 Paris"},
    )
    assert named.status_code == 200, named.text
    assert (named.json()["business_name"], named.json()["business_address"]) == (
        "Salon Ada",
        "1 Rue de Rivoli\n75001 Paris",
    )
    cleared = await client.patch(
        URL, headers=admin.headers, json={"business_address": None, "business_name": None}
    )
    assert (cleared.json()["business_name"], cleared.json()["business_address"]) == (
        "Salon Ada",
        None,
    )
    assert (
        await client.patch(URL, headers=admin.headers, json={"business_name": ""})
    ).status_code == 422


async def test_the_referral_rules_are_settings_read_by_anyone(
    client: httpx.AsyncClient, admin: Caller, db: async_sessionmaker[AsyncSession]
) -> None:
    defaults = (await client.get(URL)).json()
    assert (defaults["referral_reward_points"], defaults["referral_refund_window_days"]) == (0, 14)
    rules = {"referral_reward_points": 250, "referral_refund_window_days": 0}
    changed = await client.patch(URL, headers=admin.headers, json=rules)
    assert changed.status_code == 200, changed.text
    body = (await client.get(URL)).json()
    assert (body["referral_reward_points"], body["referral_refund_window_days"]) == (250, 0)
    async with db() as session:
        audited = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "settings.update"))
        ).one()
    assert audited.details == {
        "before": {"referral_reward_points": 0, "referral_refund_window_days": 14},
        "after": rules,
    }


@pytest.mark.parametrize(
    "body",
    [
        {"referral_reward_points": -1},
        {"referral_reward_points": 100_001},
        {"referral_reward_points": "50"},  # a JSON integer, not a string
        {"referral_reward_points": True},
        {"referral_reward_points": 5.5},
        {"referral_refund_window_days": -1},
        {"referral_refund_window_days": 366},
        {"referral_refund_window_days": "14"},
    ],
)
async def test_bad_referral_rules_are_refused(
    client: httpx.AsyncClient, admin: Caller, body: dict[str, Any]
) -> None:
    before = (await client.get(URL)).json()
    response = await client.patch(URL, headers=admin.headers, json=body)
    assert response.status_code == 422, response.text
    [field] = body
    assert f"body.{field}" in {error["path"] for error in response.json()["errors"]}
    assert (await client.get(URL)).json() == before
