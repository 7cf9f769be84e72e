"""Per-client request throttling for anonymous endpoints (login, password reset, ...).

A **fixed-window counter**: the window is ``floor(now / window_seconds)``; each hit
increments that window's count and is allowed while the count is at most ``limit``.
A burst straddling a boundary can reach ``2 * limit`` within one window's length;
the brute-force ledger (``security.auth.throttle``) bounds guesses per account anyway.
Refused hits also count, so hammering never earns an earlier reset.

``now`` is always passed in (``clock.now().timestamp()``) so tests move a frozen clock;
Redis only uses its own clock to expire keys that are no longer looked up.
Redis errors fail open (logged): an outage must not lock every user out of logging in.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Depends, Request
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from frontdesk.core import clock
from frontdesk.core.config import Settings
from frontdesk.core.errors import RATE_LIMITED, AppError
from frontdesk.core.request_context import client_ip

log = logging.getLogger("frontdesk.ratelimit")

DEFAULT_MAX_KEYS = 100_000
MINUTE = 60

# INCR, and give the key a lifetime the first time (or if it ever lost one).
_INCR_EXPIRE = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_seconds: int
    remaining: int


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window_seconds: int, now: float) -> RateDecision:
        """Count one request for ``key`` and say whether it may proceed."""
        ...

    async def close(self) -> None: ...


class RateLimitedError(AppError):
    error = RATE_LIMITED

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            "Too many requests; try again later.",
            headers={"Retry-After": str(retry_after_seconds)},
        )
        self.retry_after_seconds = retry_after_seconds


RateLimited = RateLimitedError  # the name the brief used; the project suffixes errors


def _window(now: float, window_seconds: int) -> tuple[int, float]:
    """The window's index and the instant it ends."""
    index = math.floor(now / window_seconds)
    return index, float((index + 1) * window_seconds)


def _decide(count: int, limit: int, window_end: float, now: float) -> RateDecision:
    return RateDecision(
        allowed=count <= limit,
        retry_after_seconds=max(1, math.ceil(window_end - now)),
        remaining=max(0, limit - count),
    )


class MemoryRateLimiter:
    """Counts in this process only. Memory is bounded: expired windows are swept, and
    past ``max_keys`` live keys the oldest one is dropped."""

    def __init__(self, *, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        self._max_keys = max_keys
        self._counts: dict[str, tuple[float, int]] = {}  # key -> (window end, count)
        self._next_sweep = -math.inf

    def __len__(self) -> int:
        return len(self._counts)

    async def hit(self, key: str, *, limit: int, window_seconds: int, now: float) -> RateDecision:
        self._sweep(now)
        index, window_end = _window(now, window_seconds)
        slot = f"{key}:{window_seconds}:{index}"
        count = self._counts.pop(slot, (window_end, 0))[1] + 1
        self._counts[slot] = (window_end, count)  # re-inserted: newest last
        if len(self._counts) > self._max_keys:
            del self._counts[next(iter(self._counts))]
        return _decide(count, limit, window_end, now)

    def _sweep(self, now: float) -> None:
        """Drop finished windows, at most once a second unless memory is full."""
        if now < self._next_sweep and len(self._counts) < self._max_keys:
            return
        self._next_sweep = now + 1
        for slot in [slot for slot, (end, _) in self._counts.items() if end <= now]:
            del self._counts[slot]

    async def close(self) -> None:
        self._counts.clear()


class RedisRateLimiter:
    """Counts in Redis, so every process behind the load balancer shares one count."""

    def __init__(self, url: str, *, prefix: str = "frontdesk:rl:") -> None:
        self._redis: aioredis.Redis = aioredis.from_url(
            url, socket_connect_timeout=1, socket_timeout=1
        )
        self._prefix = prefix
        self._incr = self._redis.register_script(_INCR_EXPIRE)

    async def hit(self, key: str, *, limit: int, window_seconds: int, now: float) -> RateDecision:
        index, window_end = _window(now, window_seconds)
        slot = f"{self._prefix}{key}:{window_seconds}:{index}"
        try:
            count = int(await self._incr(keys=[slot], args=[window_seconds + 1]))
        except RedisError:
            log.warning("rate limiter: Redis unavailable, allowing %s", key, exc_info=True)
            return RateDecision(allowed=True, retry_after_seconds=0, remaining=limit)
        return _decide(count, limit, window_end, now)

    async def close(self) -> None:
        await self._redis.aclose()


def limiter_from_settings(settings: Settings) -> RateLimiter:
    """Redis when ``redis_url`` is set (several processes agree), else this process."""
    if settings.redis_url:
        return RedisRateLimiter(settings.redis_url)
    return MemoryRateLimiter()


def throttle(scope: str, per_minute: Callable[[Settings], int]) -> Any:
    """A dependency that allows ``per_minute(settings)`` requests per client IP per
    minute in ``scope``; beyond that it answers 429 ``rate_limited`` with Retry-After.

    Usage::

        LOGIN_THROTTLE = throttle("login", lambda s: s.auth_requests_per_minute)

        @router.post("/login", dependencies=[LOGIN_THROTTLE])
    """

    async def _throttled(request: Request) -> None:
        settings: Settings = request.app.state.settings
        limiter: RateLimiter = request.app.state.rate_limiter
        key = f"{scope}:{client_ip(request, settings) or 'unknown'}"
        decision = await limiter.hit(
            key,
            limit=per_minute(settings),
            window_seconds=MINUTE,
            now=clock.now().timestamp(),
        )
        if not decision.allowed:
            raise RateLimitedError(decision.retry_after_seconds)

    return Depends(_throttled)
