"""The guard reads the caller's session and the route's permission in one query, and
still checks every permission a route asks for."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.security.auth.deps import CurrentPrincipal, SessionReader
from frontdesk.security.rbac.deps import PermissionReader, require
from tests.security.rbac.admin_api import API, Caller, make_role, problem, rbac_app, signed_in

TWO_PERMISSIONS = "/test/two-permissions"
GUARD_THEN_PRINCIPAL = "/test/guard-then-principal"


@pytest.fixture
def app(database_url: str, engine: AsyncEngine, db: Any) -> FastAPI:
    app = rbac_app(database_url, engine)

    @app.get(TWO_PERMISSIONS, dependencies=[require("users:read"), require("audit_logs:read")])
    async def two_permissions() -> dict[str, bool]:
        return {"ok": True}

    @app.get(GUARD_THEN_PRINCIPAL, dependencies=[require("users:read")])
    async def guard_then_principal(principal: CurrentPrincipal) -> dict[str, str]:
        return {"username": principal.username}

    return app


@pytest.fixture
async def caller(app: FastAPI, db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Caller:
    await make_role(db, "lister", ["users:read"])
    return await signed_in(app, db, role="lister")


class _Calls:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[str] = []
        for owner, name in (
            (SessionReader, "fetch"),
            (PermissionReader, "holds"),
            (PermissionReader, "session_holding"),
        ):
            monkeypatch.setattr(owner, name, self._spy(name, getattr(owner, name)))

    def _spy(self, name: str, method: Any) -> Any:
        async def spy(reader: Any, *args: Any, **kwargs: Any) -> Any:
            self.names.append(name)
            return await method(reader, *args, **kwargs)

        return spy


async def test_a_guarded_route_reads_session_and_permission_in_one_query(
    client: httpx.AsyncClient, caller: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _Calls(monkeypatch)
    response = await client.get(GUARD_THEN_PRINCIPAL, headers=caller.headers)
    assert response.status_code == 200, response.text
    # The handler's principal is the guard's: no second session read.
    assert response.json() == {"username": (await _me(client, caller))["username"]}
    assert calls.names[:1] == ["session_holding"]
    assert calls.names.count("session_holding") == 1
    assert "holds" not in calls.names


async def test_every_permission_of_a_route_is_checked(
    client: httpx.AsyncClient, caller: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _Calls(monkeypatch)
    body = problem(
        await client.get(TWO_PERMISSIONS, headers=caller.headers), 403, "permission_denied"
    )
    assert body["permission"] == "audit_logs:read"
    # The first guard resolved the caller; the second asked only for its permission.
    assert calls.names == ["session_holding", "holds"]


async def test_a_guarded_route_refuses_a_caller_without_the_permission(
    app: FastAPI, client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    nobody = await signed_in(app, db)
    problem(await client.get(f"{API}/users", headers=nobody.headers), 403, "permission_denied")
    problem(await client.get(f"{API}/users"), 401, "unauthenticated")


async def _me(client: httpx.AsyncClient, caller: Caller) -> dict[str, Any]:
    response = await client.get("/api/v1/auth/me", headers=caller.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
