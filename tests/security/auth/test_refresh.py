"""SECURITY.md 11: refresh tokens rotate; reuse revokes the family; races mint one pair."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.security.audit.models import AuditLog
from frontdesk.security.auth.models import EnhancedUserSession, RefreshToken, SessionLog
from tests.security.accounts import bearer, login, make_user

REFRESH = "/api/v1/auth/refresh"


@pytest.fixture
async def tokens(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> dict[str, Any]:
    await make_user(db, "refresher")
    return await login(client, "refresher")


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": token})


async def test_refresh_rotates_the_token(client: httpx.AsyncClient, tokens: dict[str, Any]) -> None:
    response = await _refresh(client, tokens["refresh_token"])
    assert response.status_code == 200
    new = response.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["session_id"] == tokens["session_id"]
    assert (await client.get("/api/v1/auth/me", headers=bearer(new))).status_code == 200
    second = await _refresh(client, new["refresh_token"])
    assert second.status_code == 200


async def test_reuse_after_the_grace_window_revokes_the_family_and_session(
    db: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    tokens: dict[str, Any],
    clock: FrozenClock,
    app: Any,
) -> None:
    rotated = (await _refresh(client, tokens["refresh_token"])).json()
    clock.advance(timedelta(seconds=app.state.settings.refresh_reuse_grace_seconds + 1))
    replay = await _refresh(client, tokens["refresh_token"])
    assert replay.status_code == 401
    # The legitimate holder is logged out too: the family is burnt.
    assert (await _refresh(client, rotated["refresh_token"])).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=bearer(rotated))).status_code == 401
    async with db() as session:
        login_row = await session.scalar(select(EnhancedUserSession))
        assert login_row is not None
        assert (login_row.status, login_row.revoked_reason) == ("revoked", "refresh_token_reuse")
        live = await session.scalar(
            select(func.count()).select_from(RefreshToken).where(RefreshToken.revoked_at.is_(None))
        )
        assert live == 0
        assert await session.scalar(
            select(SessionLog.id).where(SessionLog.action == "reuse_detected")
        )
        assert await session.scalar(
            select(AuditLog.id).where(AuditLog.action == "auth.refresh_reuse")
        )


async def test_the_previous_token_gets_the_same_pair_once_inside_the_grace_window(
    client: httpx.AsyncClient, tokens: dict[str, Any], clock: FrozenClock
) -> None:
    first = (await _refresh(client, tokens["refresh_token"])).json()
    clock.advance(timedelta(seconds=2))
    second_tab = await _refresh(client, tokens["refresh_token"])
    assert second_tab.status_code == 200
    assert second_tab.json()["refresh_token"] == first["refresh_token"]
    third = await _refresh(client, tokens["refresh_token"])
    assert third.status_code == 401  # grace is spent: this is reuse


async def test_concurrent_refreshes_with_one_token_mint_at_most_one_new_pair(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    # Each request runs in its own session on its own pooled connection.
    responses = await asyncio.gather(*(_refresh(client, tokens["refresh_token"]) for _ in range(2)))
    ok = [r.json()["refresh_token"] for r in responses if r.status_code == 200]
    assert ok, [r.text for r in responses]
    assert len(set(ok)) == 1
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(RefreshToken)) == 2


async def test_refresh_tokens_have_an_absolute_lifetime(
    client: httpx.AsyncClient, tokens: dict[str, Any], clock: FrozenClock, app: Any
) -> None:
    settings = app.state.settings
    token = tokens["refresh_token"]
    # Stay active (refresh well inside the idle timeout) until the absolute end.
    step = timedelta(minutes=settings.staff_session_idle_minutes - 1)
    deadline = clock.now() + timedelta(hours=settings.staff_session_absolute_hours)
    while clock.now() + step < deadline:
        clock.advance(step)
        response = await _refresh(client, token)
        assert response.status_code == 200
        token = response.json()["refresh_token"]
    clock.set(deadline + timedelta(seconds=1))
    assert (await _refresh(client, token)).status_code == 401


async def test_an_unknown_refresh_token_is_401(client: httpx.AsyncClient, db: Any) -> None:
    response = await _refresh(client, "x" * 43)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


async def test_refreshes_are_audited_both_ways(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    await _refresh(client, tokens["refresh_token"])
    await _refresh(client, "not-a-token-at-all-but-long-enough")
    async with db() as session:
        rows = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "auth.refresh"))
        ).all()
    assert sorted(row.success for row in rows) == [False, True]
    assert all(tokens["refresh_token"] not in str(row.details) for row in rows)
