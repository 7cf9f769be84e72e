"""SECURITY.md 13: deny by default. Every route declares a permission, signed-in
self-service, or public; every route answers each kind of caller as docs/rbac.md says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.app import create_app
from frontdesk.security.rbac.roles import SYSTEM_ROLE_NAMES
from tests.conftest import asgi_client, make_settings
from tests.databases import sqlite_url
from tests.security.audit.callers import signed_in
from tests.security.rbac.routes import (
    PERMISSION,
    PUBLIC,
    SIGNED_IN,
    UNDECLARED,
    RouteAccess,
    api_routes,
    concrete_path,
    has_body,
)
from tests.security.rbac.test_role_matrix_docs import documented_matrix

# The route table as the running app has it (the engine is never touched here).
ROUTES = api_routes(create_app(make_settings(sqlite_url(Path("/nonexistent/routes.db")))))
ANONYMOUS = "anonymous"
NO_ROLES = "no roles"
CALLERS = (ANONYMOUS, NO_ROLES, *SYSTEM_ROLE_NAMES)
MATRIX = documented_matrix()


def test_the_route_table_is_not_empty() -> None:
    assert len(ROUTES) > 20


@pytest.mark.parametrize("access", ROUTES, ids=lambda access: access.id)
def test_every_route_declares_who_may_call_it(access: RouteAccess) -> None:
    assert access.rule != UNDECLARED, (
        f"{access.id} declares neither a permission (require(...)), signed-in "
        "self-service (CurrentPrincipal) nor PUBLIC"
    )
    if access.rule == PERMISSION:
        assert access.permission in MATRIX, f"{access.permission} is not in docs/rbac.md"


def expected_denial(access: RouteAccess, caller: str) -> int | None:
    """401 or 403 when ``caller`` must be refused, else None."""
    if access.rule == PUBLIC:
        return None
    if caller == ANONYMOUS:
        return 401
    if access.rule == SIGNED_IN:
        return None
    assert access.permission is not None
    if caller == NO_ROLES or caller not in MATRIX[access.permission]:
        return 403
    return None


@pytest.fixture
def matrix_app(database_url: str, engine: AsyncEngine, db: Any) -> FastAPI:
    # A generous request budget: this test calls the anonymous endpoints many times.
    settings = make_settings(database_url, auth_requests_per_minute=100_000)
    return create_app(settings, engine=engine)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("access", ROUTES, ids=lambda access: access.id)
async def test_every_route_allows_and_denies_as_documented(
    matrix_app: FastAPI,
    db: async_sessionmaker[AsyncSession],
    access: RouteAccess,
    caller: str,
) -> None:
    headers: dict[str, str] = {}
    if caller != ANONYMOUS:
        role = None if caller == NO_ROLES else caller
        headers = (await signed_in(matrix_app, db, role=role)).headers
    async with asgi_client(matrix_app) as client:
        response = await client.request(
            access.method,
            concrete_path(access.route),
            headers=headers,
            json={} if has_body(access.route) else None,
        )
    denial = expected_denial(access, caller)
    if denial is None:
        allowed = response.status_code != 403 and (
            access.rule == PUBLIC or response.status_code != 401
        )
        assert allowed, f"{caller} was refused {access.id}: {response.text}"
    else:
        assert response.status_code == denial, f"{caller} on {access.id}: {response.text}"
        if denial == 403:
            assert response.json()["permission"] == access.permission


def test_require_refuses_an_undeclared_permission_name_at_import_time() -> None:
    from frontdesk.security.rbac.deps import require

    with pytest.raises(LookupError, match="not declared"):
        require("bookings:teleport")
    assert require("bookings:read") is not None
