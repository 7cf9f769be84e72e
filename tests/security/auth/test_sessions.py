"""SECURITY.md 4, 9, 10, 12: sessions end when they must, on the very next request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.security.auth.models import SessionLog
from tests.security.accounts import STRONG_PASSWORD, bearer, login, make_user

ME = "/api/v1/auth/me"


async def _me(client: httpx.AsyncClient, tokens: dict[str, Any]) -> int:
    return (await client.get(ME, headers=bearer(tokens))).status_code


async def test_logout_kills_the_access_token_on_the_next_request(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await make_user(db, "leaver")
    tokens = await login(client, "leaver")
    other = await login(client, "leaver")
    assert (await client.post("/api/v1/auth/logout", headers=bearer(tokens))).status_code == 204
    assert await _me(client, tokens) == 401
    assert await _me(client, other) == 200
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401


async def test_logout_everywhere(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await make_user(db, "everywhere")
    first, second = await login(client, "everywhere"), await login(client, "everywhere")
    assert (await client.post("/api/v1/auth/logout-all", headers=bearer(first))).status_code == 204
    assert await _me(client, first) == 401
    assert await _me(client, second) == 401


async def test_list_and_revoke_my_sessions(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await make_user(db, "juggler")
    laptop = await login(client, "juggler", device_info="laptop")
    phone = await login(client, "juggler", device_info="phone")
    listed = (await client.get("/api/v1/auth/sessions", headers=bearer(laptop))).json()
    assert {item["device_info"] for item in listed} == {"laptop", "phone"}
    current = [item for item in listed if item["current"]]
    assert len(current) == 1
    assert current[0]["device_info"] == "laptop"
    phone_id = next(item["id"] for item in listed if item["device_info"] == "phone")
    response = await client.delete(f"/api/v1/auth/sessions/{phone_id}", headers=bearer(laptop))
    assert response.status_code == 204
    assert await _me(client, phone) == 401
    assert await _me(client, laptop) == 200


async def test_another_users_session_id_answers_404(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await make_user(db, "alice")
    await make_user(db, "mallory")
    alice = await login(client, "alice")
    mallory = await login(client, "mallory")
    alice_session = (await client.get("/api/v1/auth/sessions", headers=bearer(alice))).json()[0]
    response = await client.delete(
        f"/api/v1/auth/sessions/{alice_session['id']}", headers=bearer(mallory)
    )
    assert response.status_code == 404
    assert await _me(client, alice) == 200


async def test_idle_staff_sessions_expire(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock, app: Any
) -> None:
    await make_user(db, "dozer")
    tokens = await login(client, "dozer")
    clock.advance(timedelta(minutes=app.state.settings.staff_session_idle_minutes))
    # A new access token would not help: the session itself is over.
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401


async def test_activity_keeps_a_session_alive_past_the_idle_timeout(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock, app: Any
) -> None:
    idle = timedelta(minutes=app.state.settings.staff_session_idle_minutes)
    await make_user(db, "busy")
    tokens = await login(client, "busy")
    for _ in range(2):  # 2 x (idle - 1 min) > idle, active all along
        clock.advance(idle - timedelta(minutes=1))
        tokens = (
            await client.post(
                "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
            )
        ).json()
        assert await _me(client, tokens) == 200
    clock.advance(idle)
    assert await _me(client, tokens) == 401


async def test_password_change_needs_the_current_password_and_ends_other_sessions(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await make_user(db, "changer")
    here = await login(client, "changer")
    elsewhere = await login(client, "changer")
    change = "/api/v1/auth/password/change"
    wrong = await client.post(
        change,
        headers=bearer(here),
        json={"current_password": "not-it-at-all", "new_password": "fresh-copper-meadow-9"},
    )
    assert wrong.status_code == 401
    common = await client.post(
        change,
        headers=bearer(here),
        json={"current_password": STRONG_PASSWORD, "new_password": "password123"},
    )
    assert common.status_code == 422
    ok = await client.post(
        change,
        headers=bearer(here),
        json={"current_password": STRONG_PASSWORD, "new_password": "fresh-copper-meadow-9"},
    )
    assert ok.status_code == 204
    assert await _me(client, here) == 200
    assert await _me(client, elsewhere) == 401
    await login(client, "changer", "fresh-copper-meadow-9")


async def test_my_session_logs_show_logins_and_logouts(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await make_user(db, "historian")
    first = await login(client, "historian")
    second = await login(client, "historian")
    await client.post("/api/v1/auth/logout", headers=bearer(first))
    page = (await client.get("/api/v1/auth/session-logs", headers=bearer(second))).json()
    actions = [item["action"] for item in page["items"]]
    assert actions.count("login") == 2
    assert actions.count("logout") == 1
    async with db() as session:
        tokens_in_logs = (await session.scalars(select(SessionLog.session_token))).all()
    assert first["refresh_token"] not in tokens_in_logs
