"""The points ledger (SECURITY.md 18, points half): every change is a ledger row written
with it, the balance equals the ledger's sum and never goes below zero, also under
concurrent debits on real connections and after any sequence of movements."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers.models import Customer
from frontdesk.core import clock as core_clock
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import open_session, transaction
from frontdesk.core.errors import NotFoundError
from frontdesk.rewards.loyalty import expiry
from frontdesk.rewards.loyalty.ledger import (
    MAX_BALANCE,
    InsufficientPointsError,
    PointsLimitError,
    move_points,
)
from tests.rewards.loyalty.conftest import START, ledger, new_customer, set_rules


async def _move(
    db: async_sessionmaker[AsyncSession], customer_id: uuid.UUID, reason: str, points: int
) -> int:
    async with transaction(db) as session:
        row = await move_points(
            session, customer_id, points=points, reason=reason, now=core_clock.now(), actor_id=None
        )
        return row.balance_after


async def test_each_movement_is_a_ledger_row_with_the_balance_after_it(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    customer_id = await new_customer(db)
    assert await _move(db, customer_id, "earn", 40) == 40
    assert await _move(db, customer_id, "redeem", -15) == 25
    assert await _move(db, customer_id, "adjustment", -5) == 20
    state = await ledger(db, customer_id)
    assert state["rows"] == [("earn", 40), ("redeem", -15), ("adjustment", -5)]
    assert state["balance"] == state["sum"] == state["last"].balance_after == 20


async def test_a_debit_past_the_balance_is_refused_and_leaves_no_trace(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    customer_id = await new_customer(db, points=10)
    with pytest.raises(InsufficientPointsError) as refused:
        await _move(db, customer_id, "redeem", -11)
    assert refused.value.extra == {"available": 10}
    state = await ledger(db, customer_id)
    assert (state["balance"], state["rows"]) == (10, [("adjustment", 10)])


async def test_the_balance_stops_at_the_limit_instead_of_overflowing(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    customer_id = await new_customer(db)
    async with transaction(db) as session:
        # Set around the ledger on purpose: reaching the limit by movements takes a
        # thousand of them.
        await session.execute(
            update(Customer).where(Customer.id == customer_id).values(loyalty_points=MAX_BALANCE)
        )
    with pytest.raises(PointsLimitError):
        await _move(db, customer_id, "earn", 1)
    assert await _move(db, customer_id, "redeem", -1) == MAX_BALANCE - 1


async def test_an_unknown_customer_is_not_found(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    with pytest.raises(NotFoundError):
        await _move(db, uuid.uuid4(), "earn", 1)


@pytest.mark.parametrize(
    ("reason", "points"),
    [("earn", -1), ("referral", -1), ("redeem", 1), ("expiry", 1), ("reversal", 1),
     ("adjustment", 0), ("adjustment", 1_000_001), ("gift", 1)],
)  # fmt: skip
async def test_a_movement_the_reason_does_not_allow_is_a_programming_error(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, reason: str, points: int
) -> None:
    customer_id = await new_customer(db, points=5)
    with pytest.raises(ValueError, match=r"loyalty reason|points movement|cannot move"):
        await _move(db, customer_id, reason, points)


async def test_ten_concurrent_debits_of_30_on_100_leave_exactly_three(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    """Each debit is its own session and transaction on its own pooled connection; they
    all start together. Exactly 3 commit, 7 are refused, nothing is overspent."""
    customer_id = await new_customer(db, points=100)
    start_together = asyncio.Event()
    connections: set[int] = set()

    async def debit() -> str:
        async with open_session(db, write=True) as session:
            await start_together.wait()
            try:
                conn = await session.connection()
                connections.add(id((await conn.get_raw_connection()).dbapi_connection))
                await move_points(
                    session,
                    customer_id,
                    points=-30,
                    reason="redeem",
                    now=core_clock.now(),
                    actor_id=None,
                )
                await session.commit()
            except InsufficientPointsError:
                await session.rollback()
                return "refused"
            return "spent"

    tasks = [asyncio.create_task(debit()) for _ in range(10)]
    await asyncio.sleep(0)
    start_together.set()
    outcomes = await asyncio.gather(*tasks)
    assert sorted(outcomes) == ["refused"] * 7 + ["spent"] * 3
    assert len(connections) > 1, "the debits must run on several real connections"
    state = await ledger(db, customer_id)
    assert state["balance"] == state["sum"] == state["last"].balance_after == 10


# --- any sequence of movements, expiry included ------------------------------------------

EXPIRY_MONTHS = 1
down = st.integers(-40, -1)
up = st.integers(1, 40)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), up),
        st.tuples(st.just("referral"), up),
        st.tuples(st.just("redeem"), down),
        st.tuples(st.just("reversal"), down),
        st.tuples(st.just("adjustment"), st.one_of(down, up)),
        st.tuples(st.just("wait_days"), st.integers(1, 60)),
    ),
    max_size=25,
)


@dataclass
class Lot:
    credited_at: datetime
    left: int


class Wallet:
    """The rule, modelled the slow way: a FIFO of credits; debits use the oldest first;
    expiry removes what is left of credits older than the cutoff."""

    def __init__(self) -> None:
        self.lots: list[Lot] = []

    @property
    def balance(self) -> int:
        return sum(lot.left for lot in self.lots)

    def credit(self, points: int) -> None:
        self.lots.append(Lot(core_clock.now(), points))

    def debit(self, points: int) -> None:
        for lot in self.lots:
            taken = min(lot.left, points)
            lot.left, points = lot.left - taken, points - taken

    def due(self) -> int:
        cutoff = expiry.months_before(core_clock.now(), EXPIRY_MONTHS)
        return sum(lot.left for lot in self.lots if lot.credited_at <= cutoff)


async def _expire(db: async_sessionmaker[AsyncSession]) -> None:
    while True:
        async with transaction(db) as session:
            batch = await expiry.expire_batch(session, now=core_clock.now())
        if batch.candidates < expiry.BATCH_SIZE:
            return


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(opening=st.integers(0, 60), sequence=steps)
async def test_any_sequence_keeps_the_balance_equal_to_the_ledger_and_never_negative(
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    opening: int,
    sequence: list[tuple[str, int]],
) -> None:
    clock.set(START)
    await set_rules(db, expiry_months=EXPIRY_MONTHS)
    customer_id, wallet = await new_customer(db, points=opening), Wallet()
    if opening:
        wallet.credit(opening)
    for step, amount in sequence:
        if step == "wait_days":
            clock.advance(timedelta(days=amount))
            due = wallet.due()
            await _expire(db)
            wallet.debit(due)
            event("points expired" if due else "nothing due")
        elif wallet.balance + amount < 0:
            with pytest.raises(InsufficientPointsError):
                await _move(db, customer_id, step, amount)
        else:
            assert await _move(db, customer_id, step, amount) == wallet.balance + amount
            if amount > 0:
                wallet.credit(amount)
            else:
                wallet.debit(-amount)
        state = await ledger(db, customer_id)
        assert state["balance"] == state["sum"] == wallet.balance >= 0
        assert state["last"] is None or state["last"].balance_after == wallet.balance
