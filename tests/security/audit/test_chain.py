"""The hash chain: its canonical form, and a verifier that finds the first broken link."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.core.db import open_session, transaction
from frontdesk.security.audit.chain import (
    GENESIS_HASH,
    BreakReason,
    VerifyResult,
    canonical_json,
    chain_hash,
    verify_chain,
)
from frontdesk.security.audit.models import AuditLog
from frontdesk.security.audit.service import record_standalone

USER = uuid.UUID("0192f0c1-2b3c-7d4e-8f50-6a7b8c9d0e1f")


def _values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "sequence": 7,
        "created_at": datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=1))),
        "user_id": USER,
        "action": "auth.login",
        "resource": None,
        "ip_address": "203.0.113.7",
        "success": True,
        "details": {"b": [1, 2.0], "a": {"z": None, "y": "ü"}},
        "user_agent": None,
        "request_id": "req-1",
        "prev_hash": GENESIS_HASH,
    }
    values.update(overrides)
    return values


def test_canonical_form_is_sorted_compact_utc_and_typed() -> None:
    assert (
        canonical_json(_values())
        == (
            '{"action":"auth.login","created_at":"2026-03-02T09:00:00.000000+00:00",'
            '"details":{"a":{"y":"\\u00fc","z":null},"b":[1,2]},"ip_address":"203.0.113.7",'
            f'"prev_hash":"{GENESIS_HASH}","request_id":"req-1","resource":null,"sequence":7,'
            f'"success":true,"user_agent":null,"user_id":"{USER}"}}'
        ).encode()
    )


def test_hash_is_sha256_of_the_canonical_form_and_covers_every_field() -> None:
    base = _values()
    assert chain_hash(base) == hashlib.sha256(canonical_json(base)).hexdigest()
    changed = [
        _values(success=False),
        _values(action="auth.logout"),
        _values(created_at=base["created_at"] + timedelta(microseconds=1)),
        _values(prev_hash="1" * 64),
        _values(details={"a": 1}),
    ]
    assert len({chain_hash(values) for values in [base, *changed]}) == 6
    # Fields outside the chain (the row id) do not change it; key order does not either.
    assert chain_hash({"id": uuid.uuid4(), **dict(reversed(base.items()))}) == chain_hash(base)


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        canonical_json(_values(created_at=datetime(2026, 3, 2, 9, 0)))  # noqa: DTZ001


async def _write(db: async_sessionmaker[AsyncSession], count: int) -> list[AuditLog]:
    for index in range(count):
        await record_standalone(db, action=f"test.{index}", success=True, details={"index": index})
    async with open_session(db, write=False) as session:
        return list((await session.scalars(select(AuditLog).order_by(AuditLog.sequence))).all())


async def _tamper(db: async_sessionmaker[AsyncSession], sql: str, **params: Any) -> None:
    async with transaction(db) as session:
        await session.execute(text(sql), params)


async def _verify(db: async_sessionmaker[AsyncSession], batch_size: int = 1000) -> VerifyResult:
    async with open_session(db, write=False) as session:
        return await verify_chain(session, batch_size=batch_size)


async def test_an_empty_log_verifies(db: async_sessionmaker[AsyncSession]) -> None:
    result = await _verify(db)
    assert result.ok
    assert result.checked == 0


@pytest.mark.parametrize("batch_size", [1000, 2])
async def test_an_intact_chain_verifies_across_batches(
    db: async_sessionmaker[AsyncSession], batch_size: int
) -> None:
    await _write(db, 5)
    result = await _verify(db, batch_size)
    assert result == VerifyResult(checked=5)
    assert result.ok


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("UPDATE audit_logs SET action = 'test.innocent' WHERE sequence = 3", {}),
        ("UPDATE audit_logs SET success = :flag WHERE sequence = 3", {"flag": False}),
        ("UPDATE audit_logs SET ip_address = '198.51.100.1' WHERE sequence = 3", {}),
    ],
)
async def test_an_edited_row_is_reported_by_its_hash(
    db: async_sessionmaker[AsyncSession], sql: str, params: dict[str, Any]
) -> None:
    rows = await _write(db, 5)
    await _tamper(db, sql, **params)
    result = await _verify(db, batch_size=2)
    assert not result.ok
    assert result.broken is not None
    assert (result.broken.id, result.broken.sequence) == (rows[2].id, 3)
    assert result.broken.reason is BreakReason.HASH
    assert result.checked == 2


async def test_a_deleted_row_is_reported_as_a_gap(db: async_sessionmaker[AsyncSession]) -> None:
    rows = await _write(db, 5)
    await _tamper(db, "DELETE FROM audit_logs WHERE sequence = 3")
    result = await _verify(db)
    assert result.broken is not None
    assert (result.broken.id, result.broken.sequence) == (rows[3].id, 4)
    assert result.broken.reason is BreakReason.GAP
    assert "expected sequence 3" in result.broken.detail


async def test_deleting_the_first_row_is_reported(db: async_sessionmaker[AsyncSession]) -> None:
    rows = await _write(db, 2)
    await _tamper(db, "DELETE FROM audit_logs WHERE sequence = 1")
    result = await _verify(db)
    assert result.broken is not None
    assert result.broken.id == rows[1].id
    assert result.broken.reason is BreakReason.GAP


async def test_a_rehashed_edit_breaks_the_next_link(db: async_sessionmaker[AsyncSession]) -> None:
    rows = await _write(db, 5)
    forged = {**rows[2].__dict__, "action": "test.innocent"}
    await _tamper(
        db,
        "UPDATE audit_logs SET action = 'test.innocent', hash = :hash WHERE sequence = 3",
        hash=chain_hash(forged),
    )
    result = await _verify(db)
    assert result.broken is not None
    assert (result.broken.id, result.broken.sequence) == (rows[3].id, 4)
    assert result.broken.reason is BreakReason.PREV_HASH


async def test_a_renumbered_and_relinked_deletion_is_still_caught(
    db: async_sessionmaker[AsyncSession],
) -> None:
    rows = await _write(db, 3)
    await _tamper(db, "DELETE FROM audit_logs WHERE sequence = 2")
    await _tamper(
        db,
        "UPDATE audit_logs SET sequence = 2, prev_hash = :prev WHERE sequence = 3",
        prev=rows[0].hash,
    )
    result = await _verify(db)
    assert result.broken is not None
    assert result.broken.sequence == 2
    assert result.broken.reason is BreakReason.HASH


def test_timestamps_in_the_canonical_form_keep_microseconds() -> None:
    moment = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
    assert b'"created_at":"2026-03-02T09:00:00.123456+00:00"' in canonical_json(
        _values(created_at=moment)
    )
