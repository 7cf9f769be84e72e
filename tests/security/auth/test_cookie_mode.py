"""The refresh token as an HttpOnly, SameSite=Strict cookie scoped to the auth path."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.security.auth.cookies import COOKIE_NAME, COOKIE_PATH
from tests.security.accounts import bearer, login, make_user


async def test_cookie_login_refresh_and_logout(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await make_user(db, "browser")
    response = await client.post(
        "/api/v1/auth/login",
        json={
            "identifier": "browser",
            "password": "violet-harbor-lantern-42",
            "refresh_in_cookie": True,
        },
    )
    assert response.status_code == 200
    assert response.json()["refresh_token"] is None  # not readable by scripts
    header = response.headers["set-cookie"]
    assert header.startswith(f"{COOKIE_NAME}=")
    for attribute in ("HttpOnly", f"Path={COOKIE_PATH}", "SameSite=strict"):
        assert attribute.lower() in header.lower()
    assert "secure" not in header.lower()  # dev over plain http; production adds Secure

    refreshed = await client.post("/api/v1/auth/refresh", json={})
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] is None
    assert COOKIE_NAME in refreshed.headers["set-cookie"]

    logout = await client.post("/api/v1/auth/logout", headers=bearer(refreshed.json()))
    assert logout.status_code == 204
    assert (
        "Max-Age=0" in logout.headers["set-cookie"]
        or "expires" in logout.headers["set-cookie"].lower()
    )
    assert (await client.post("/api/v1/auth/refresh", json={})).status_code == 401


async def test_body_mode_sets_no_cookie(
    db: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await make_user(db, "api-client")
    response = await client.post(
        "/api/v1/auth/login",
        json={"identifier": "api-client", "password": "violet-harbor-lantern-42"},
    )
    assert "set-cookie" not in response.headers
    assert response.json()["refresh_token"]
    await login(client, "api-client")
