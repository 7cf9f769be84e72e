"""``GET /api/v1/audit-logs``: who may read it, filters, and cursor pagination."""

from __future__ import annotations

import uuid
from datetime import timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import open_session, transaction
from frontdesk.security.audit.chain import verify_chain
from frontdesk.security.audit.models import AuditLog
from frontdesk.security.audit.router import router
from frontdesk.security.audit.service import record_standalone
from tests import factories
from tests.security.audit.callers import Caller, signed_in

URL = "/api/v1/audit-logs"
PARIS = timezone(timedelta(hours=1))  # a fixed offset: winter time


@pytest.fixture
def audit_api(app: FastAPI) -> FastAPI:
    # The lead mounts the router in create_app; mount it here only while it is not.
    if not any(getattr(route, "path", None) == URL for route in app.routes):
        app.include_router(router, prefix="/api/v1")
    return app


async def _actor(db: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    async with transaction(db) as session:
        return (await factories.user(session)).id


@pytest.fixture
async def world(db: async_sessionmaker[AsyncSession], clock: FrozenClock) -> dict[str, Any]:
    """Five rows an hour apart (09:00-13:00) from two actors; returns what the tests ask."""
    ada, bob = await _actor(db), await _actor(db)
    rows = [
        ("auth.login", True, ada, "user:ada"),
        ("auth.login", False, bob, "user:bob"),
        ("booking.created", True, ada, "booking:1"),
        ("booking.cancelled", True, bob, "booking:2"),
        ("auth.login", True, bob, "user%bob"),
    ]
    start = clock.now()
    for action, success, actor, resource in rows:
        await record_standalone(
            db, action=action, success=success, actor_id=actor, resource=resource
        )
        clock.advance(timedelta(hours=1))
    return {"ada": ada, "bob": bob, "start": start}


@pytest.fixture
async def admin(
    audit_api: FastAPI, db: async_sessionmaker[AsyncSession], world: dict[str, Any]
) -> Caller:
    # Signed in after the rows were written, so the clock's jumps never idle the session.
    return await signed_in(audit_api, db, role="admin")


async def _get(client: httpx.AsyncClient, caller: Caller, **params: Any) -> Any:
    response = await client.get(URL, params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _sequences(page: Any) -> list[int]:
    return [item["sequence"] for item in page["items"]]


async def test_anonymous_callers_get_401(audit_api: FastAPI, client: httpx.AsyncClient) -> None:
    response = await client.get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


async def test_a_caller_without_the_permission_gets_403_and_an_audit_row(
    audit_api: FastAPI,
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    staff = await signed_in(audit_api, db, role="staff")
    response = await client.get(URL, headers=staff.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    async with open_session(db, write=False) as session:
        denied = (await session.scalars(select(AuditLog))).one()
        assert (denied.action, denied.success, denied.user_id) == (
            "authz.denied",
            False,
            staff.user_id,
        )
        assert denied.resource == f"route:GET {URL}"
        assert denied.details == {"permission": "audit_logs:read"}
        assert denied.request_id == response.headers["x-request-id"]
        assert (await verify_chain(session)).ok


async def test_admin_reads_every_row_newest_first(
    admin: Caller, client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    page = await _get(client, admin)
    assert _sequences(page) == [5, 4, 3, 2, 1]
    assert page["next_cursor"] is None
    newest = page["items"][0]
    assert newest["user_id"] == str(world["bob"])
    assert newest["created_at"] == (world["start"] + timedelta(hours=4)).isoformat().replace(
        "+00:00", "Z"
    )
    assert len(newest["hash"]) == 64
    assert newest["prev_hash"] == page["items"][1]["hash"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"action": "auth.login"}, [5, 2, 1]),
        ({"success": "false"}, [2]),
        ({"resource": "booking:1"}, [3]),
        ({"resource": "booking:*"}, [4, 3]),
        ({"resource": "user%*"}, [5]),  # % is literal in a prefix, not a wildcard
        ({"action": "auth.login", "success": "true"}, [5, 1]),
    ],
)
async def test_admin_filters(
    admin: Caller, client: httpx.AsyncClient, params: dict[str, str], expected: list[int]
) -> None:
    assert _sequences(await _get(client, admin, **params)) == expected


async def test_admin_filters_by_actor_and_time(
    admin: Caller, client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    assert _sequences(await _get(client, admin, actor=str(world["ada"]))) == [3, 1]
    ten = (world["start"] + timedelta(hours=1)).isoformat()
    twelve_in_paris = (world["start"] + timedelta(hours=3)).astimezone(PARIS).isoformat()
    # from is inclusive, to exclusive; any offset is accepted and compared in UTC.
    assert _sequences(await _get(client, admin, **{"from": ten, "to": twelve_in_paris})) == [3, 2]


async def test_admin_pages_through_with_the_cursor(
    admin: Caller, client: httpx.AsyncClient
) -> None:
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(3):
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await _get(client, admin, **params)
        seen += _sequences(page)
        cursor = page["next_cursor"]
    assert seen == [5, 4, 3, 2, 1]
    assert cursor is None


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"from": "2026-03-02T09:00:00"}, 422, "validation_failed"),  # naive: no offset
        ({"cursor": "not-a-cursor"}, 400, "invalid_cursor"),
        ({"limit": 0}, 422, "validation_failed"),
        ({"actor": "nobody"}, 422, "validation_failed"),
    ],
)
async def test_bad_queries_get_a_problem_not_a_500(
    admin: Caller, client: httpx.AsyncClient, params: dict[str, Any], status: int, code: str
) -> None:
    response = await client.get(URL, params=params, headers=admin.headers)
    assert response.status_code == status
    assert response.json()["code"] == code
