"""The brute-force ledger's statements (see :mod:`frontdesk.security.auth.throttle`).

Built once each: a login runs them on every attempt, and a prebuilt statement skips
SQLAlchemy's per-call construction and cache-key work. They run as driver statements
(:mod:`frontdesk.core.fastsql`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Insert,
    Integer,
    Select,
    String,
    Uuid,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
    update,
)

from frontdesk.core.db import dialect_insert
from frontdesk.core.fastsql import DriverStatement
from frontdesk.core.types import UTCDateTime
from frontdesk.security.auth.models import RateLimitLog

LOGIN_ACTION = "login"
LEDGER_COLUMNS = ("ledger_id", "ledger_identifier", "ledger_attempts")

_NOW = bindparam("now", type_=UTCDateTime())
BLOCK = DriverStatement(
    update(RateLimitLog)
    .where(RateLimitLog.id == bindparam("row_id"))
    .values(blocked_until=bindparam("until", type_=UTCDateTime()), updated_at=_NOW)
)
RESET = DriverStatement(
    delete(RateLimitLog).where(
        RateLimitLog.identifier == bindparam("key"), RateLimitLog.action == LOGIN_ACTION
    )
)
_REFUND_UPDATE = (
    update(RateLimitLog)
    .where(
        RateLimitLog.identifier == bindparam("key"),
        RateLimitLog.action == LOGIN_ACTION,
        RateLimitLog.attempts > 0,
    )
    .values(
        attempts=RateLimitLog.attempts - 1,
        blocked_until=case(
            (RateLimitLog.attempts - 1 < bindparam("threshold"), null()),
            else_=RateLimitLog.blocked_until,
        ),
        updated_at=_NOW,
    )
)
REFUND = DriverStatement(_REFUND_UPDATE)


def _settle_statement() -> DriverStatement:
    """PostgreSQL: reset and refund in one statement, account row first.

    The refund's condition reads the reset's output, so the reset runs (and locks the
    account row) before the refund's row is locked: the one lock order of the ledger.
    (Left to themselves, the parts of one statement run in no promised order.)
    """
    reset = (
        delete(RateLimitLog)
        .where(
            RateLimitLog.identifier == bindparam("account_key"),
            RateLimitLog.action == LOGIN_ACTION,
        )
        .returning(RateLimitLog.id)
        .cte("reset_account")
    )
    after_reset = select(func.count()).select_from(reset).scalar_subquery() >= 0
    return DriverStatement(_REFUND_UPDATE.where(after_reset))


SETTLE = _settle_statement()


def _new_row(number: int, blocked_until: Any) -> Select[Any]:
    return select(
        bindparam(f"row_id{number}", type_=Uuid()),
        bindparam(f"key{number}", type_=String()),
        literal(LOGIN_ACTION),
        literal(1),
        _NOW,
        blocked_until,
        _NOW,
        _NOW,
    )


_STALE: ColumnElement[bool] = or_(
    RateLimitLog.window_started_at.is_(None),
    RateLimitLog.window_started_at <= bindparam("cutoff", type_=UTCDateTime()),
)
_NOT_BLOCKED: ColumnElement[bool] = or_(
    RateLimitLog.blocked_until.is_(None), RateLimitLog.blocked_until <= _NOW
)
_COUNTED_ATTEMPTS = case((_STALE, 1), else_=RateLimitLog.attempts + 1)


def _upsert(dialect: str, new_rows: list[Select[Any]], blocked_until: Any) -> Insert:
    """``INSERT ... SELECT ... UNION ALL SELECT ... ON CONFLICT DO UPDATE ... WHERE not
    blocked RETURNING``: no row returned for a key whose row is blocked at ``now``. Rows
    are written in key order, account first, which is the one lock order of every
    ledger write, so attempts cannot deadlock.

    Not a multi-row ``VALUES``: SQLAlchemy cannot cache that and would compile it on
    every attempt.
    """
    columns = ["id", "identifier", "action", "attempts", "window_started_at", "blocked_until"]
    statement = dialect_insert(dialect, RateLimitLog).from_select(
        [*columns, "created_at", "updated_at"],
        union_all(*new_rows) if len(new_rows) > 1 else new_rows[0],
    )
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=[RateLimitLog.identifier, RateLimitLog.action],
        set_={
            "attempts": _COUNTED_ATTEMPTS,
            "window_started_at": case((_STALE, _NOW), else_=RateLimitLog.window_started_at),
            "blocked_until": blocked_until,
            "updated_at": _NOW,
        },
        where=_NOT_BLOCKED,
    )
    return upsert.returning(RateLimitLog.id, RateLimitLog.identifier, RateLimitLog.attempts)


@cache
def count_statement(dialect: str, rows: int) -> DriverStatement:
    """Count ``rows`` ledger rows (keys bound as ``key0``, ``key1``) in one statement,
    atomic on both engines; a new block is the caller's to set (:data:`BLOCK`), in the
    same transaction. (``WHERE true`` keeps SQLite's parser from reading the upsert's
    ``ON`` as a join condition.)
    """
    new_rows = [_new_row(number, null()).where(true()) for number in range(rows)]
    # An expired block is cleared here; a new one is set by the caller.
    return DriverStatement(_upsert(dialect, new_rows, null()))


def _block_after(attempts: Any, threshold: Any) -> Any:
    """``now`` + the lockout for ``attempts`` (``throttle.lockout_seconds``), or NULL."""
    wait = func.least(
        bindparam("increment", type_=Integer()) * (attempts // threshold),
        bindparam("max_wait", type_=Integer()),
    )
    until = _NOW.op("+", return_type=UTCDateTime())(func.make_interval(0, 0, 0, 0, 0, 0, wait))
    return case((attempts >= threshold, until), else_=null())


@cache
def admit_statement(rows: int, lookup: Select[Any] | None) -> DriverStatement:
    """PostgreSQL: a whole admission in one AUTOCOMMIT statement.

    ``lookup`` (the account, for a login) is read alongside. Unless a ledger row is
    blocked at ``now``, the account row is counted, and blocked in the same upsert when
    it reaches its threshold (thresholds bound as ``threshold0``, ``threshold1``); the
    IP row's upsert reads the account row's, so it runs after it (the ledger's one lock
    order) and only if the account row was counted. One row per counted ledger row
    comes back (``ledger_*`` columns), or one with them NULL; the lookup's columns ride
    along, NULL if it found nothing.

    The blocked-row check reads the statement's snapshot; a block set on the IP row by
    an attempt that commits in between is still caught by the IP upsert, and the
    account row then stays counted: a race can only over-count the account of a
    refused attempt, never let one through.
    """
    keys = [bindparam(f"key{number}", type_=String()) for number in range(rows)]
    blocked = exists().where(
        RateLimitLog.action == LOGIN_ACTION,
        RateLimitLog.identifier.in_(keys),
        RateLimitLog.blocked_until > _NOW,
    )
    counted: list[CTE] = []
    for number in range(rows):
        threshold = bindparam(f"threshold{number}", type_=Integer())
        first_blocked = _block_after(literal(1), threshold)
        condition = ~blocked if number == 0 else exists(select(counted[0].c.id))
        new_row = _new_row(number, first_blocked).where(condition)
        upsert = _upsert("postgresql", [new_row], _block_after(_COUNTED_ATTEMPTS, threshold))
        counted.append(upsert.cte(f"counted{number}"))
    every = union_all(*(select(*cte.c) for cte in counted)) if rows > 1 else select(*counted[0].c)
    ledger_rows = every.subquery("ledger")
    ledger = [
        ledger_rows.c.id.label(LEDGER_COLUMNS[0]),
        ledger_rows.c.identifier.label(LEDGER_COLUMNS[1]),
        ledger_rows.c.attempts.label(LEDGER_COLUMNS[2]),
    ]
    one = select(literal(1).label("one")).subquery("one")
    if lookup is None:
        return DriverStatement(select(*ledger).select_from(one.outerjoin(ledger_rows, true())))
    found = lookup.subquery("found")
    joined = one.outerjoin(found, true()).outerjoin(ledger_rows, true())
    return DriverStatement(select(*found.c, *ledger).select_from(joined))
