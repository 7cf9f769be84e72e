"""Liveness and readiness."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from frontdesk.app import create_app
from tests.conftest import asgi_client, make_settings
from tests.databases import downgrade, migrate, sqlite_url


def _client_for(url: str) -> httpx.AsyncClient:
    return asgi_client(create_app(make_settings(url)))


async def test_healthz_answers_without_the_database(plain_client: httpx.AsyncClient) -> None:
    response = await plain_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_readyz_is_503_at_an_older_revision(scratch_database_url: str) -> None:
    await migrate(scratch_database_url)
    await downgrade(scratch_database_url, "-1")
    async with _client_for(scratch_database_url) as client:
        behind = await client.get("/readyz")
        assert behind.status_code == 503
        assert behind.headers["content-type"] == "application/problem+json"
        assert behind.json()["code"] == "service_unavailable"
        assert "frontdesk db upgrade" in behind.json()["detail"]
        await migrate(scratch_database_url)
        assert (await client.get("/readyz")).status_code == 200


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "no-such-directory" / "frontdesk.db")
    async with _client_for(url) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"


def test_the_app_refuses_throttling_settings_that_allow_over_100_failures_an_hour(
    tmp_path: Path,
) -> None:
    settings = make_settings(
        sqlite_url(tmp_path / "unused.db"),
        login_wait_increment_seconds=1,
        login_max_wait_seconds=2,
    )
    with pytest.raises(ValueError, match="failures per hour"):
        create_app(settings)
