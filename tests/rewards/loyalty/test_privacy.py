"""SECURITY.md 25 for points: the customer export (which walks every table pointing at
customers) carries the ledger, and erasure keeps it, balance and all: it is the
business's record of what was earned and spent."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.business.payments.support import ok, pay
from tests.rewards.loyalty.conftest import API, NewBooking, ledger, new_customer, set_rules
from tests.security.audit.callers import Caller


async def test_the_export_carries_the_ledger_and_erasure_keeps_it(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
) -> None:
    await set_rules(db, rate="1")
    customer_id = await new_customer(db, points=5)
    booking = await new_booking("12.00", customer_id)
    ok(await pay(client, admin, booking, "12"))
    before = await ledger(db, customer_id)

    exported = await client.get(f"{API}/customers/{customer_id}/export", headers=admin.headers)
    assert exported.status_code == 200, exported.text
    rows = exported.json()["related"]["loyalty_transactions"]
    assert sorted((row["reason"], row["points"]) for row in rows) == [
        ("adjustment", 5),
        ("earn", 12),
    ]
    [earned] = [row for row in rows if row["reason"] == "earn"]
    assert (earned["booking_id"], earned["balance_after"]) == (str(booking), 17)
    assert exported.json()["customer"]["loyalty_points"] == 17

    erased = await client.post(f"{API}/customers/{customer_id}/erase", headers=admin.headers)
    assert erased.status_code == 200, erased.text
    after = await ledger(db, customer_id)
    assert (after["rows"], after["balance"], after["sum"]) == (before["rows"], 17, 17)
