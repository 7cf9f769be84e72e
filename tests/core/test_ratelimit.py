"""Per-client request throttling: memory and Redis limiters, the dependency, client IPs."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from redis import asyncio as aioredis
from redis.exceptions import RedisError
from starlette.requests import Request

from frontdesk.app import create_app
from frontdesk.core.clock import FrozenClock
from frontdesk.core.config import Settings
from frontdesk.core.errors import PROBLEM_CONTENT_TYPE
from frontdesk.core.ratelimit import (
    MemoryRateLimiter,
    RateLimitedError,
    RedisRateLimiter,
    limiter_from_settings,
    throttle,
)
from frontdesk.core.request_context import client_ip
from tests.conftest import asgi_client, make_settings
from tests.databases import sqlite_url

REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
T0 = 1_800_000_000.0  # the start of a 60-second window


async def test_memory_limiter_allows_n_then_refuses_until_the_window_ends() -> None:
    limiter = MemoryRateLimiter()
    decisions = [await limiter.hit("k", limit=3, window_seconds=60, now=T0 + 10) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[-1].retry_after_seconds == 50
    assert not (await limiter.hit("k", limit=3, window_seconds=60, now=T0 + 59.5)).allowed
    fresh = await limiter.hit("k", limit=3, window_seconds=60, now=T0 + 60)
    assert (fresh.allowed, fresh.remaining) == (True, 2)
    assert (await limiter.hit("other", limit=3, window_seconds=60, now=T0 + 10)).allowed


async def test_memory_limiter_sweeps_expired_windows_and_caps_keys() -> None:
    limiter = MemoryRateLimiter(max_keys=50)
    for number in range(40):
        await limiter.hit(f"ip{number}", limit=1, window_seconds=60, now=T0)
    await limiter.hit("late", limit=1, window_seconds=60, now=T0 + 61)
    assert len(limiter) == 1
    for number in range(500):
        await limiter.hit(f"flood{number}", limit=1, window_seconds=60, now=T0 + 61)
    assert len(limiter) == 50
    await limiter.close()
    assert len(limiter) == 0


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A unique key prefix on a reachable Redis; its keys are deleted afterwards."""
    client: aioredis.Redis = aioredis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        if os.environ.get("FRONTDESK_REQUIRE_REDIS", "") not in ("", "0", "false"):
            pytest.fail(f"FRONTDESK_REQUIRE_REDIS is set but Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    prefix = f"frontdesk-test:{uuid.uuid4().hex}:"
    try:
        yield prefix
    finally:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_redis_limiter_allows_n_then_refuses_until_the_window_ends(
    redis_prefix: str,
) -> None:
    limiter = RedisRateLimiter(REDIS_URL, prefix=redis_prefix)
    try:
        hits = [await limiter.hit("k", limit=2, window_seconds=60, now=T0 + 15) for _ in range(3)]
        assert [(d.allowed, d.remaining) for d in hits] == [(True, 1), (True, 0), (False, 0)]
        assert hits[-1].retry_after_seconds == 45
        assert (await limiter.hit("k", limit=2, window_seconds=60, now=T0 + 60)).allowed
    finally:
        await limiter.close()


async def test_two_redis_limiters_share_one_count(redis_prefix: str) -> None:
    """Two processes, each with its own client and connection pool, agree on the count."""
    first = RedisRateLimiter(REDIS_URL, prefix=redis_prefix)
    second = RedisRateLimiter(REDIS_URL, prefix=redis_prefix)
    try:
        allowed = []
        for number in range(6):
            limiter = first if number % 2 else second
            decision = await limiter.hit("shared", limit=4, window_seconds=60, now=T0)
            allowed.append(decision.allowed)
        assert allowed == [True, True, True, True, False, False]
    finally:
        await first.close()
        await second.close()


async def test_redis_keys_expire(redis_prefix: str) -> None:
    limiter = RedisRateLimiter(REDIS_URL, prefix=redis_prefix)
    client: aioredis.Redis = aioredis.from_url(REDIS_URL)
    try:
        await limiter.hit("k", limit=2, window_seconds=60, now=T0)
        (key,) = [key async for key in client.scan_iter(match=redis_prefix + "*")]
        assert 0 < await client.ttl(key) <= 61
    finally:
        await limiter.close()
        await client.aclose()


async def test_redis_outage_fails_open() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    try:
        decision = await limiter.hit("k", limit=1, window_seconds=60, now=T0)
        assert (decision.allowed, decision.remaining) == (True, 1)
    finally:
        await limiter.close()


async def test_limiter_from_settings(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "unused.db")
    memory = limiter_from_settings(make_settings(url, redis_url=None))
    shared = limiter_from_settings(make_settings(url, redis_url=REDIS_URL))
    assert isinstance(memory, MemoryRateLimiter)
    assert isinstance(shared, RedisRateLimiter)
    await memory.close()
    await shared.close()


def test_rate_limited_is_a_429_with_retry_after() -> None:
    error = RateLimitedError(17)
    assert (error.status_code, error.code) == (429, "rate_limited")
    assert error.headers == {"Retry-After": "17"}


def _two_per_minute(_settings: Settings) -> int:
    return 2


def _app_with_route(tmp_path: Path, **overrides: object) -> FastAPI:
    app = create_app(make_settings(sqlite_url(tmp_path / "unused.db"), **overrides))

    @app.post("/_test/throttled", dependencies=[throttle("test", _two_per_minute)])
    async def throttled() -> dict[str, str]:
        return {"status": "ok"}

    return app


async def test_dependency_answers_429_problem_with_retry_after(
    tmp_path: Path, clock: FrozenClock
) -> None:
    clock.set(clock.now().replace(second=20, microsecond=0))
    async with asgi_client(_app_with_route(tmp_path)) as client:
        codes = [(await client.post("/_test/throttled")).status_code for _ in range(2)]
        refused = await client.post("/_test/throttled")
        clock.advance(timedelta(seconds=40))
        again = await client.post("/_test/throttled")
    assert codes == [200, 200]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert refused.headers["retry-after"] == "40"
    assert refused.json()["code"] == "rate_limited"
    assert again.status_code == 200


async def test_dependency_counts_per_client_behind_a_trusted_proxy(
    tmp_path: Path, clock: FrozenClock
) -> None:
    app = _app_with_route(tmp_path, trusted_proxies=["127.0.0.0/8"])
    async with asgi_client(app) as client:

        async def post(client_ip: str) -> int:
            headers = {"X-Forwarded-For": f"6.6.6.6, {client_ip}"}
            return (await client.post("/_test/throttled", headers=headers)).status_code

        assert [await post("198.51.100.1") for _ in range(3)] == [200, 200, 429]
        assert await post("198.51.100.2") == 200


def _request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    return Request({**scope, "client": (peer, 40000)})


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "expected"),
    [
        ([], "203.0.113.5", "1.2.3.4", "203.0.113.5"),  # no proxy trusted: the socket
        (["10.0.0.0/8"], "203.0.113.5", "1.2.3.4", "203.0.113.5"),  # peer is untrusted
        (["10.0.0.0/8"], "10.0.0.2", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        (["10.0.0.0/8"], "10.0.0.2", "198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (["10.0.0.0/8"], "10.0.0.2", "6.6.6.6, 198.51.100.7, 10.1.1.1", "198.51.100.7"),
        (["10.0.0.0/8"], "10.0.0.2", None, "10.0.0.2"),  # no header: the proxy itself
        (["10.0.0.0/8"], "10.0.0.2", "not-an-ip", "10.0.0.2"),
    ],
)
def test_client_ip(
    tmp_path: Path, trusted: list[str], peer: str, forwarded: str | None, expected: str
) -> None:
    settings = make_settings(sqlite_url(tmp_path / "unused.db"), trusted_proxies=trusted)
    assert client_ip(_request(peer, forwarded), settings) == expected
