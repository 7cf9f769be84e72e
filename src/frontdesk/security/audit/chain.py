"""The audit log's hash chain: one canonical form, one hash, one verifier.

Each row's ``hash`` is SHA-256 over a canonical JSON form of its content and the
previous row's hash, so editing a row breaks its own hash and deleting one breaks the
sequence and the next row's ``prev_hash``. Deleting the newest rows is the one edit a
chain alone cannot show; anchor the latest hash elsewhere for that.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.security.audit.models import AuditLog

GENESIS_HASH = "0" * 64
VERIFY_BATCH_SIZE = 1000

# Every column the hash covers, in no particular order (the JSON keys are sorted).
HASHED_FIELDS = (
    "sequence",
    "created_at",
    "user_id",
    "action",
    "resource",
    "ip_address",
    "success",
    "details",
    "user_agent",
    "request_id",
    "prev_hash",
)


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in the audit chain")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _canonical_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_value(item) for item in value]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        # PostgreSQL's JSONB keeps numbers as NUMERIC and hands 1e20 back as the integer
        # 100000000000000000000; the decimal text of the float is what it stored.
        return int(Decimal(repr(value)))
    return value


def canonical_json(values: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTC ISO timestamps with microseconds, UUIDs as text."""
    payload = {name: _canonical_value(values[name]) for name in HASHED_FIELDS}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.encode("ascii")


def chain_hash(values: Mapping[str, Any]) -> str:
    """The hex SHA-256 of ``values``' canonical form (``values`` holds HASHED_FIELDS)."""
    return hashlib.sha256(canonical_json(values)).hexdigest()


class BreakReason(StrEnum):
    GAP = "gap in sequence"
    PREV_HASH = "prev_hash mismatch"
    HASH = "hash mismatch"


@dataclass(frozen=True)
class BrokenLink:
    id: uuid.UUID
    sequence: int
    reason: BreakReason
    detail: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    broken: BrokenLink | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _check(row: Mapping[str, Any], sequence: int, prev_hash: str) -> BrokenLink | None:
    """What is wrong with ``row`` when the chain so far ends at ``sequence``/``prev_hash``."""

    def broken(reason: BreakReason, detail: str) -> BrokenLink:
        return BrokenLink(row["id"], row["sequence"], reason, detail)

    if row["sequence"] != sequence + 1:
        return broken(BreakReason.GAP, f"expected sequence {sequence + 1}")
    if row["prev_hash"] != prev_hash:
        return broken(BreakReason.PREV_HASH, "does not match the previous row's hash")
    if row["hash"] != chain_hash(row):
        return broken(BreakReason.HASH, "the row's content was changed")
    return None


async def verify_chain(
    session: AsyncSession, *, batch_size: int = VERIFY_BATCH_SIZE
) -> VerifyResult:
    """Walk the log in sequence order, a batch at a time, and report the first broken link."""
    columns = [AuditLog.id, AuditLog.hash, *(getattr(AuditLog, name) for name in HASHED_FIELDS)]
    sequence, prev_hash, checked = 0, GENESIS_HASH, 0
    while True:
        # Keyset batches: memory stays flat and no server-side cursor is held open.
        batch = (
            await session.execute(
                select(*columns)
                .where(AuditLog.sequence > sequence)
                .order_by(AuditLog.sequence)
                .limit(batch_size)
            )
        ).all()
        for row in batch:
            link = _check(row._asdict(), sequence, prev_hash)
            if link is not None:
                return VerifyResult(checked=checked, broken=link)
            sequence, prev_hash, checked = row.sequence, row.hash, checked + 1
        if len(batch) < batch_size:
            return VerifyResult(checked=checked)
