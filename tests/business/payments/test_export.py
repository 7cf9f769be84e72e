"""The accountant's CSV: columns, decimals per currency, signs, the range, formula-safe
cells, streaming in batches."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.payments import export
from frontdesk.core.clock import FrozenClock
from frontdesk.security.audit.models import AuditLog
from tests.business.payments.conftest import NewBooking
from tests.business.payments.support import API, count, move, ok, pay, refund
from tests.security.audit.callers import Caller, signed_in_again

NOVEMBER = {"from": "2026-11-01T00:00:00+00:00", "to": "2026-12-01T00:00:00+00:00"}


async def _export(
    client: httpx.AsyncClient, caller: Caller, params: dict[str, str] = NOVEMBER
) -> list[dict[str, str]]:
    response = await client.get(f"{API}/payments/export", headers=caller.headers, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.text.splitlines()[0] == ",".join(export.COLUMNS)
    return list(csv.DictReader(io.StringIO(response.text, newline="")))


async def test_rows_amounts_and_signs(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    euros = await new_booking("100.00")
    yen = await new_booking("5000", currency="JPY")
    dinars = await new_booking("10", currency="BHD")
    paid = ok(await pay(client, admin, euros, "30.5"))
    clock.advance(timedelta(minutes=1))
    ok(await refund(client, admin, paid["id"], "0.5"))
    clock.advance(timedelta(minutes=1))
    ok(await pay(client, admin, yen, "1500", currency="JPY"))
    clock.advance(timedelta(minutes=1))
    held = ok(await pay(client, admin, dinars, "1.25", currency="BHD", method="card",
                        external_reference="T-9", capture=False))  # fmt: skip
    ok(await move(client, admin, held["id"], "void"), 200)
    rows = await _export(client, admin)
    assert [
        (r["kind"], r["status"], r["currency"], r["amount"], r["net_amount"]) for r in rows
    ] == [
        ("payment", "captured", "EUR", "30.50", "30.50"),
        ("refund", "refunded", "EUR", "0.50", "-0.50"),
        ("payment", "captured", "JPY", "1500", "1500"),
        ("payment", "voided", "BHD", "1.250", "0.000"),
    ]
    assert rows[1]["refund_of_id"] == paid["id"] == rows[0]["transaction_id"]
    assert rows[0]["booking_id"] == str(euros)
    assert rows[0]["created_at"] == "2026-11-28T12:00:00+00:00"
    assert rows[3]["external_reference"] == "T-9"
    assert await count(db, AuditLog, AuditLog.action == "payments.export") == 1


@pytest.mark.parametrize(
    ("reference", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ('T-1, "quoted"', 'T-1, "quoted"'),  # csv quoting, no prefix
    ],
)
async def test_cells_never_run_as_formulas(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    reference: str,
    cell: str,
) -> None:
    booking = await new_booking()
    ok(await pay(client, admin, booking, "10", method="card", external_reference=reference))
    rows = await _export(client, admin)
    assert rows[0]["external_reference"] == cell


async def test_only_the_range_is_exported_in_batches(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    app: FastAPI,
    db: async_sessionmaker[AsyncSession],
) -> None:
    """Seven payments at the same instant (ties on created_at) and one outside the range:
    batches of two still give each row exactly once."""
    monkeypatch.setattr(export, "BATCH", 2)
    booking = await new_booking("1000")
    ids = [ok(await pay(client, admin, booking, "1"))["id"] for _ in range(7)]
    clock.set(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # "to" is exclusive
    later = await signed_in_again(app, db, admin.user_id)
    ok(await pay(client, later, booking, "1"))
    rows = await _export(client, later)
    assert sorted(row["transaction_id"] for row in rows) == sorted(ids)
    assert len({row["transaction_id"] for row in rows}) == 7


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"},  # backwards
        {"from": "2026-11-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"},  # empty
        {"from": "2025-01-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"},  # > 366 days
        {"from": "2026-11-01T00:00:00", "to": "2026-11-02T00:00:00Z"},  # naive
        {"from": "2026-11-01T00:00:00Z"},  # no end
    ],
)
async def test_the_range_is_bounded(
    client: httpx.AsyncClient, admin: Caller, params: dict[str, str]
) -> None:
    response = await client.get(f"{API}/payments/export", headers=admin.headers, params=params)
    assert response.status_code == 422, response.text


async def test_an_empty_range_is_just_the_header(client: httpx.AsyncClient, admin: Caller) -> None:
    assert await _export(client, admin) == []
