"""Writing audit rows: request metadata, no secrets, bounded details, one unforked chain."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import open_session
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service
from frontdesk.security.audit.chain import GENESIS_HASH, VerifyResult, chain_hash, verify_chain
from frontdesk.security.audit.models import AuditLog
from frontdesk.security.audit.service import (
    MAX_DETAILS_BYTES,
    REDACTED,
    record,
    record_standalone,
)
from tests import factories

META = RequestMeta(ip="203.0.113.7", user_agent="pytest-agent", request_id="req-1")


async def _rows(db: async_sessionmaker[AsyncSession]) -> list[AuditLog]:
    async with open_session(db, write=False) as session:
        return list((await session.scalars(select(AuditLog).order_by(AuditLog.sequence))).all())


async def _verify(db: async_sessionmaker[AsyncSession]) -> VerifyResult:
    async with open_session(db, write=False) as session:
        return await verify_chain(session)


async def _details_of(db: async_sessionmaker[AsyncSession], details: dict[str, Any]) -> Any:
    await record_standalone(db, action="test.details", success=True, details=details)
    return (await _rows(db))[-1].details


async def test_record_writes_one_linked_row_with_the_request_meta(
    session: AsyncSession, clock: FrozenClock
) -> None:
    actor = await factories.user(session)
    await record(
        session,
        action="auth.login",
        success=True,
        actor_id=actor.id,
        resource=f"user:{actor.id}",
        details={"method": "password"},
        meta=META,
    )
    row = await session.scalar(select(AuditLog))
    assert row is not None
    assert (row.sequence, row.prev_hash) == (1, GENESIS_HASH)
    assert row.created_at == clock.now()
    assert (row.user_id, row.action, row.resource) == (actor.id, "auth.login", f"user:{actor.id}")
    assert (row.ip_address, row.user_agent, row.request_id) == (
        "203.0.113.7",
        "pytest-agent",
        "req-1",
    )
    assert row.success is True
    assert row.details == {"method": "password"}
    assert row.hash == chain_hash(row.__dict__)


async def test_record_only_flushes_the_callers_transaction(
    db: async_sessionmaker[AsyncSession],
) -> None:
    async with open_session(db, write=True) as session:
        await record(session, action="booking.created", success=True)
        assert await session.scalar(select(func.count()).select_from(AuditLog)) == 1
        await session.rollback()
    assert await _rows(db) == []


async def test_each_row_links_to_the_one_before(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    for action in ("a.one", "a.two", "a.three"):
        await record_standalone(db, action=action, success=True)
    rows = await _rows(db)
    assert [row.sequence for row in rows] == [1, 2, 3]
    assert [row.prev_hash for row in rows] == [GENESIS_HASH, rows[0].hash, rows[1].hash]
    assert len({row.hash for row in rows}) == 3


async def test_record_standalone_commits_on_its_own(db: async_sessionmaker[AsyncSession]) -> None:
    async with open_session(db, write=False) as reader:
        await record_standalone(db, action="authz.denied", success=False, meta=META)
        # Visible to another session at once: it committed without any caller's help.
        assert await reader.scalar(select(AuditLog.action)) == "authz.denied"


async def test_secrets_are_redacted_at_any_depth(db: async_sessionmaker[AsyncSession]) -> None:
    details = {
        "username": "ada",
        "Password": "hunter2",
        "headers": {"Authorization": "Bearer abc", "Cookie": "sid=1", "accept": "json"},
        "attempts": [{"refresh_token": "r1", "step": 1}, {"client_SECRET": {"nested": "x"}}],
        "card_number": "4111111111111111",
        "new_password_confirm": None,
    }
    stored = await _details_of(db, details)
    assert stored == {
        "username": "ada",
        "Password": REDACTED,
        "headers": {"Authorization": REDACTED, "Cookie": REDACTED, "accept": "json"},
        "attempts": [{"refresh_token": REDACTED, "step": 1}, {"client_SECRET": REDACTED}],
        "card_number": REDACTED,
        "new_password_confirm": REDACTED,
    }
    assert "hunter2" not in json.dumps(stored)
    assert "4111" not in json.dumps(stored)


async def test_details_are_capped_and_marked_truncated(
    db: async_sessionmaker[AsyncSession],
) -> None:
    details = {f"field{i:02}": "x" * 300 for i in range(40)}
    details["long"] = "y" * 5000
    stored = await _details_of(db, details)
    assert len(json.dumps(stored, separators=(",", ":")).encode()) <= MAX_DETAILS_BYTES
    assert stored["_truncated"] is True
    assert stored["field00"] == "x" * 300  # whole entries are kept, in order
    assert "field39" not in stored
    assert (await _verify(db)).ok


async def test_long_strings_lists_and_depth_are_bounded(
    db: async_sessionmaker[AsyncSession],
) -> None:
    deep: dict[str, Any] = {"leaf": 1}
    for _ in range(10):
        deep = {"down": deep}
    stored = await _details_of(db, {"note": "z" * 2000, "items": list(range(500)), "deep": deep})
    assert len(stored["note"]) == 500
    assert stored["note"].endswith("\u2026")
    assert stored["items"] == list(range(50))
    assert "[too deep]" in json.dumps(stored)
    assert "_truncated" not in stored


async def test_values_that_are_not_json_become_text_and_still_verify(
    db: async_sessionmaker[AsyncSession],
) -> None:
    ident = uuid.uuid4()
    stored = await _details_of(
        db,
        {
            "id": ident,
            "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            "amount": Decimal("12.50"),
            "ratio": float("nan"),
            "nul": "a\x00b",
        },
    )
    assert stored == {
        "id": str(ident),
        "at": "2026-01-02T03:04:05+00:00",
        "amount": "12.50",
        "ratio": "nan",
        "nul": "a\ufffdb",
    }
    assert (await _verify(db)).ok


async def test_numbers_survive_the_round_trip_through_the_database(
    db: async_sessionmaker[AsyncSession],
) -> None:
    # PostgreSQL's JSONB hands 1e20 back as an integer; the hash must not care.
    details = {"big": 1e20, "huge": 1.5e300, "one": 1.0, "ratio": 0.25, "tiny": 1.5e-7, "n": 3}
    await record_standalone(db, action="test.numbers", success=True, details=details)
    assert (await _verify(db)).ok


async def test_overlong_text_is_clipped_to_its_column(
    db: async_sessionmaker[AsyncSession],
) -> None:
    # PostgreSQL enforces VARCHAR widths: an audit write must not fail on a long agent.
    meta = RequestMeta(ip="x" * 60, user_agent="a" * 2000, request_id="r" * 300)
    await record_standalone(db, action="b" * 150, success=True, resource="c" * 400, meta=meta)
    [row] = await _rows(db)
    lengths = (row.action, row.resource, row.ip_address, row.user_agent, row.request_id)
    assert [len(value or "") for value in lengths] == [100, 200, 45, 512, 128]
    assert (await _verify(db)).ok


def _slow_tail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the window between reading the chain's tail and writing after it."""
    read_tail = service._chain_tail

    async def slow(session: AsyncSession) -> tuple[int, str]:
        tail = await read_tail(session)
        await asyncio.sleep(0.02)
        return tail

    monkeypatch.setattr(service, "_chain_tail", slow)


async def test_concurrent_writers_never_fork_the_chain(
    db: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    _slow_tail(monkeypatch)
    await asyncio.gather(*(record_standalone(db, action=f"c.{i}", success=True) for i in range(8)))
    result = await _verify(db)
    assert result.ok
    assert result.checked == 8
    assert [row.sequence for row in await _rows(db)] == list(range(1, 9))


async def test_without_the_lock_the_unique_sequence_still_refuses_a_fork(
    db: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch, engine_name: str
) -> None:
    async def no_lock(_session: AsyncSession) -> None:
        return None

    monkeypatch.setattr(service, "lock_chain", no_lock)
    _slow_tail(monkeypatch)
    outcomes = await asyncio.gather(
        *(record_standalone(db, action=f"c.{i}", success=True) for i in range(8)),
        return_exceptions=True,
    )
    failures = [outcome for outcome in outcomes if outcome is not None]
    assert all(isinstance(failure, IntegrityError) for failure in failures)
    if engine_name == "postgresql":
        assert failures  # the advisory lock was the only thing keeping them in line
    result = await _verify(db)
    assert result.ok
    assert result.checked == 8 - len(failures)
