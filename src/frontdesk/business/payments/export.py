"""The accountant's CSV of payment transactions created in a time range.

Streamed in keyset batches, each read in a short read-only session of its own: memory
stays flat however long the range, and no transaction is held open while a slow client
downloads (the request's own session is closed before a streamed body is sent).

Every payment row and every refund row is a line, oldest first. ``amount`` is what the
row records; ``net_amount`` is the money that moved: the amount for a captured payment,
minus the amount for a refund, zero for anything else, so summing ``net_amount`` per
currency gives the net takings. Amounts carry exactly their currency's decimals (EUR
"12.50", JPY "1250", BHD "1.250").

Cells a spreadsheet could run as a formula (starting with ``= + - @``, tab or carriage
return) are prefixed with ``'`` (OWASP CSV injection). The amounts are numbers this
module formats itself and are left as they are, so a refund's ``-12.50`` stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.payments.models import PaymentTransaction as Payment
from frontdesk.core.db import open_session
from frontdesk.core.errors import ValidationFailedError
from frontdesk.core.money import format_amount

COLUMNS = (
    "created_at",
    "transaction_id",
    "kind",
    "status",
    "booking_id",
    "customer_id",
    "method",
    "external_reference",
    "currency",
    "amount",
    "net_amount",
    "refund_of_id",
)
MAX_RANGE = timedelta(days=366)
BATCH = 500
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def check_range(start: datetime, end: datetime) -> None:
    if not start < end:
        raise ValidationFailedError(
            "The range is empty.", path="query.to", message="must be after from"
        )
    if end - start > MAX_RANGE:
        raise ValidationFailedError(
            f"At most {MAX_RANGE.days} days at a time.",
            path="query.to",
            message=f"at most {MAX_RANGE.days} days after from",
        )


def safe_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def cells(row: Payment) -> list[str]:
    net = Decimal(0)
    if row.kind == "refund":
        net = -row.amount
    elif row.status == "captured":
        net = row.amount
    text = [
        row.created_at.isoformat(),
        str(row.id),
        row.kind,
        row.status,
        str(row.booking_id),
        str(row.customer_id or ""),
        row.payment_method,
        row.external_reference or "",
        row.currency,
    ]
    numbers = [format_amount(row.amount, row.currency), format_amount(net, row.currency)]
    return [*map(safe_cell, text), *numbers, str(row.refund_of_id or "")]


async def _batch(
    session: AsyncSession, start: datetime, end: datetime, after: Payment | None
) -> list[Payment]:
    query = select(Payment).where(Payment.created_at >= start, Payment.created_at < end)
    if after is not None:
        query = query.where(
            or_(
                Payment.created_at > after.created_at,
                and_(Payment.created_at == after.created_at, Payment.id > after.id),
            )
        )
    query = query.order_by(Payment.created_at, Payment.id).limit(BATCH)
    return list(await session.scalars(query))


async def lines(
    sessionmaker: async_sessionmaker[AsyncSession], start: datetime, end: datetime
) -> AsyncIterator[str]:
    """The header, then one line per transaction in ``[start, end)``, oldest first."""
    yield _line(COLUMNS)
    after: Payment | None = None
    while True:
        async with open_session(sessionmaker, write=False) as session:
            batch = await _batch(session, start, end, after)
        for row in batch:
            yield _line(cells(row))
        if len(batch) < BATCH:
            return
        after = batch[-1]
