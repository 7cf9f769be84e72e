"""Stored outcomes of requests that carried an ``Idempotency-Key`` (SECURITY.md 20).

The table and the mechanism live in core because every money-moving or time-booking
domain shares them. A handler :func:`claim` s the key (committed at once), does its
work, then :meth:`Claim.complete` s it in the request's own transaction, so the stored
outcome commits with the work or not at all; a failed request releases the key. The same
key and body replays the stored response; another body answers 422; a request still in
flight, 409. Keys belong to their owner (the caller) and live 24 hours.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import (
    CheckConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core import clock
from frontdesk.core.db import Base, CreatedAt, UUIDPrimaryKey, one_of, transaction
from frontdesk.core.deps import persist_on_failure
from frontdesk.core.errors import AppError, ValidationFailedError, register_code
from frontdesk.core.types import PortableJSON, UTCDateTime

IDEMPOTENCY_STATES = ("in_flight", "completed")


class IdempotencyKey(UUIDPrimaryKey, CreatedAt, Base):
    """One key of one owner: the request's fingerprint and, once done, its response."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("owner", "key"),
        one_of("state", IDEMPOTENCY_STATES),
        CheckConstraint(
            "response_status IS NULL OR (response_status >= 100 AND response_status < 600)",
            name="response_status_http",
        ),
        Index(None, "expires_at"),
    )

    key: Mapped[str] = mapped_column(String(255))
    # Who used the key (a user id, or another stable caller identity): keys are per owner.
    owner: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="in_flight")
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any | None] = mapped_column(PortableJSON)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- the mechanism (SECURITY.md 20) ---------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"
KEY_LIFETIME = timedelta(hours=24)
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces

KEY_REUSED = register_code(
    "idempotency_key_reused", 422, "Idempotency key reused with another request"
)
KEY_IN_FLIGHT = register_code("idempotency_in_flight", 409, "Request with this key in flight")


class KeyReusedError(AppError):
    error = KEY_REUSED


class KeyInFlightError(AppError):
    error = KEY_IN_FLIGHT


KEY_REQUIRED = register_code(
    "idempotency_key_required", 428, "This request needs an Idempotency-Key header"
)


class KeyRequiredError(AppError):
    error = KEY_REQUIRED


def fingerprint(method: str, path: str, body: Any) -> str:
    """SHA-256 of the request as understood: method, path and the validated body in
    canonical JSON (so key order and whitespace never make two requests differ)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def valid_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not _KEY_PATTERN.match(raw):
        raise ValidationFailedError(
            "The Idempotency-Key header is not valid.",
            path=f"header.{IDEMPOTENCY_HEADER}",
            message="1 to 255 printable ASCII characters, no spaces",
        )
    return raw


def required_key(raw: str | None) -> str:
    """:func:`valid_key` for endpoints that move money: without a key a client's retry
    could charge twice, so a missing key is refused (428 Precondition Required)."""
    key = valid_key(raw)
    if key is None:
        raise KeyRequiredError(
            f"Send an {IDEMPOTENCY_HEADER} header (a unique value per intended operation) "
            "so that a retry can never move money twice."
        )
    return key


@dataclass(frozen=True)
class Replay:
    """The stored outcome of an earlier request with the same key and body."""

    status: int
    body: Any


@dataclass(frozen=True)
class Claim:
    """This request holds the key; :meth:`complete` stores its outcome in the request's
    transaction, :meth:`release` gives the key up if the request fails."""

    row_id: uuid.UUID

    async def complete(self, session: AsyncSession, status: int, body: Any) -> None:
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == self.row_id)
            .values(
                state="completed",
                response_status=status,
                response_body=body,
                completed_at=clock.now(),
            )
        )

    async def release(self, session: AsyncSession) -> None:
        await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == self.row_id))


async def claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    owner: str,
    key: str,
    method: str,
    path: str,
    request_fingerprint: str,
) -> Claim | Replay:
    """Take ``key`` for this request, committed at once so a parallel retry sees it.

    A key already used by the same owner replays its stored outcome (same request), or
    answers 422 (another request) or 409 (the first is still running). An expired key
    is taken over.
    """
    now = clock.now()
    async with transaction(sessionmaker) as session:
        existing = await session.scalar(
            select(IdempotencyKey)
            .where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
            .with_for_update()
        )
        if existing is not None and existing.expires_at <= now:
            await session.delete(existing)
            await session.flush()
            existing = None
        if existing is None:
            row = IdempotencyKey(
                key=key,
                owner=owner,
                method=method,
                path=path[:500],
                request_fingerprint=request_fingerprint,
                state="in_flight",
                expires_at=now + KEY_LIFETIME,
            )
            session.add(row)
            try:
                async with session.begin_nested():
                    await session.flush()
            except IntegrityError:
                # A parallel request with the same key claimed it first.
                raise KeyInFlightError(
                    "A request with this Idempotency-Key is still being processed."
                ) from None
            return Claim(row.id)
    return _outcome(existing, request_fingerprint)


def _outcome(existing: IdempotencyKey, request_fingerprint: str) -> Replay:
    if existing.request_fingerprint != request_fingerprint:
        raise KeyReusedError(
            "This Idempotency-Key was used for a different request; use a new key."
        )
    if existing.state != "completed" or existing.response_status is None:
        raise KeyInFlightError("A request with this Idempotency-Key is still being processed.")
    return Replay(existing.response_status, existing.response_body)


async def respond_once(
    request: Request,
    session: AsyncSession,
    *,
    owner: str,
    raw_key: str | None,
    body: BaseModel,
    status_code: int,
    work: Callable[[], Awaitable[BaseModel]],
) -> BaseModel | JSONResponse:
    """Run a POST handler's ``work`` at most once per key: without a key it just runs;
    with one it replays the stored answer, or runs and stores its answer in the request's
    own transaction (released if the request fails)."""
    key = valid_key(raw_key)
    if key is None:
        return await work()
    path = request.url.path
    outcome = await claim(
        request.app.state.sessionmaker,
        owner=owner,
        key=key,
        method="POST",
        path=path,
        request_fingerprint=fingerprint("POST", path, body.model_dump(mode="json")),
    )
    if isinstance(outcome, Replay):
        return JSONResponse(
            outcome.body, status_code=outcome.status, headers={"Idempotent-Replayed": "true"}
        )
    persist_on_failure(session, outcome.release)
    result = await work()
    await outcome.complete(session, status_code, result.model_dump(mode="json"))
    return result


# The header as a route parameter: optional, or required by the handler (money moves).
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        max_length=255,
        description="Retry-safe: the same key and body replays the first response",
    ),
]
RequiredIdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        max_length=255,
        description="Required (428 without): the same key and body replays the first response",
    ),
]
