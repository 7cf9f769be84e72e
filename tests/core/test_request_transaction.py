"""One session per request: committed once after the handler returns, else rolled back."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.scheduling.models import Service
from frontdesk.core.deps import DbSession
from frontdesk.core.errors import ConflictError


def _service(name: str) -> Service:
    return Service(name=name, duration_minutes=30, price=Decimal("10.00"), currency="EUR")


@pytest.fixture
def routes(app: FastAPI) -> FastAPI:
    @app.post("/_test/ok")
    async def ok(session: DbSession) -> dict[str, str]:
        session.add(_service("kept"))
        await session.flush()
        return {"status": "ok"}

    @app.post("/_test/app-error")
    async def app_error(session: DbSession) -> dict[str, str]:
        session.add(_service("dropped-on-app-error"))
        await session.flush()
        raise ConflictError("refused on purpose")

    @app.post("/_test/crash")
    async def crash(session: DbSession) -> dict[str, str]:
        session.add(_service("dropped-on-crash"))
        await session.flush()
        raise RuntimeError("secret internal detail")

    @app.post("/_test/fails-at-commit")
    async def fails_at_commit(session: DbSession) -> dict[str, str]:
        # Not flushed: the CHECK constraint fires only at the commit after the handler.
        session.add(Service(name="bad", duration_minutes=0, price=Decimal(1), currency="EUR"))
        return {"status": "looks fine"}

    return app


async def _names(db: async_sessionmaker[AsyncSession]) -> list[str]:
    async with db() as session:
        return list((await session.scalars(select(Service.name))).all())


async def test_handler_success_commits(
    routes: FastAPI, client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post("/_test/ok")
    assert response.status_code == 200
    assert await _names(db) == ["kept"]


async def test_app_error_rolls_back(
    routes: FastAPI, client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post("/_test/app-error")
    assert response.status_code == 409
    assert response.json()["detail"] == "refused on purpose"
    assert await _names(db) == []


async def test_crash_rolls_back_and_hides_internals(
    routes: FastAPI, client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post("/_test/crash")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "internal_error"
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]
    assert await _names(db) == []


async def test_a_failed_commit_is_an_error_not_a_success(
    routes: FastAPI, client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post("/_test/fails-at-commit")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Service)) == 0


async def test_read_requests_run_without_a_transaction_on_postgresql(
    app: FastAPI, client: httpx.AsyncClient, engine_name: str
) -> None:
    seen: dict[str, object] = {}

    @app.get("/_test/read")
    async def read(session: DbSession) -> dict[str, str]:
        conn = await session.connection()
        seen["isolation"] = conn.sync_connection.get_execution_options().get("isolation_level")  # type: ignore[union-attr]
        return {"status": "ok"}

    assert (await client.get("/_test/read")).status_code == 200
    if engine_name == "postgresql":
        assert seen["isolation"] == "AUTOCOMMIT"
    else:
        assert seen["isolation"] is None  # SQLite keeps its deferred BEGIN (a snapshot)
