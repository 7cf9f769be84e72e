"""``move_stock`` itself (SECURITY.md 18): stock never below zero and always the sum of
its logs, under real concurrency and for any sequence of movements, on both engines."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.inventory.cli import verify_stock
from frontdesk.business.inventory.models import Product
from frontdesk.business.inventory.stock import (
    MAX_STOCK,
    InsufficientStockError,
    ProductInactiveError,
    StockLimitError,
    move_stock,
)
from frontdesk.core import clock
from frontdesk.core.clock import FrozenClock
from frontdesk.core.db import open_session, transaction
from frontdesk.core.errors import NotFoundError
from tests.business.inventory.conftest import ledger, stored_product

SALES = 50
IN_STOCK = 10


async def _move(
    db: async_sessionmaker[AsyncSession], product_id: uuid.UUID, action: str, quantity: int
) -> int:
    """One movement in its own committed transaction; the stock it left."""
    async with transaction(db) as session:
        log = await move_stock(
            session, product_id, action=action, quantity=quantity, now=clock.now(), actor_id=None
        )
        return log.stock_after


async def test_fifty_concurrent_sales_of_ten_in_stock_sell_exactly_ten(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    """Each sale is its own session and transaction on its own pooled connection; they
    all start together. Exactly 10 commit, 40 are refused, nothing oversells."""
    product_id = await stored_product(db, stock=IN_STOCK)
    start_together = asyncio.Event()
    connections: set[int] = set()

    async def sell_one() -> str:
        async with open_session(db, write=True) as session:
            await start_together.wait()
            try:
                conn = await session.connection()
                connections.add(id((await conn.get_raw_connection()).dbapi_connection))
                await move_stock(
                    session, product_id, action="sale", quantity=-1, now=clock.now(), actor_id=None
                )
                await session.commit()
            except InsufficientStockError:
                await session.rollback()
                return "refused"
            return "sold"

    tasks = [asyncio.create_task(sell_one()) for _ in range(SALES)]
    await asyncio.sleep(0)
    start_together.set()
    outcomes = await asyncio.gather(*tasks)
    assert outcomes.count("sold") == IN_STOCK
    assert outcomes.count("refused") == SALES - IN_STOCK
    assert len(connections) > 1, "the sales must run on several real connections"
    after = await ledger(db, product_id)
    assert after == {"stock": 0, "logged": 0, "logs": 1 + IN_STOCK, "last": 0}


async def test_a_refused_movement_leaves_no_trace(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    product_id = await stored_product(db, stock=2)
    with pytest.raises(InsufficientStockError) as refused:
        await _move(db, product_id, "sale", -3)
    assert refused.value.extra == {"available": 2}
    assert await ledger(db, product_id) == {"stock": 2, "logged": 2, "logs": 1, "last": 2}


async def test_a_deactivated_product_cannot_be_sold_but_can_be_restocked(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    product_id = await stored_product(db, stock=3, active=False)
    with pytest.raises(ProductInactiveError):
        await _move(db, product_id, "sale", -1)
    assert await _move(db, product_id, "return", 1) == 4
    assert await _move(db, product_id, "restock", 2) == 6
    assert await ledger(db, product_id) == {"stock": 6, "logged": 6, "logs": 3, "last": 6}


async def test_an_unknown_product_is_not_found(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    with pytest.raises(NotFoundError):
        await _move(db, uuid.UUID(int=1), "restock", 1)


@pytest.mark.parametrize(
    ("action", "quantity"),
    [("sale", 1), ("damage", 1), ("restock", -1), ("return", -1), ("adjustment", 0),
     ("restock", 1_000_001), ("theft", -1)],
)  # fmt: skip
async def test_a_quantity_the_action_does_not_allow_is_a_programming_error(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock, action: str, quantity: int
) -> None:
    product_id = await stored_product(db, stock=5)
    with pytest.raises(ValueError, match=r"stock movement|cannot move|unknown"):
        await _move(db, product_id, action, quantity)
    assert await ledger(db, product_id) == {"stock": 5, "logged": 5, "logs": 1, "last": 5}


async def test_stock_stops_at_the_limit_instead_of_overflowing_the_column(
    db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    """PostgreSQL's integer column would overflow (a 500) long before SQLite's: both
    refuse the same movement with the same 409, and nothing changes."""
    async with transaction(db) as session:
        product = Product(name="Bulk", sku="BULK-1", price=Decimal(1))
        session.add(product)
        await session.flush()
        # Stock set around the ledger on purpose: reaching the limit by restocks would
        # take a thousand movements.
        await session.execute(
            update(Product).where(Product.id == product.id).values(stock_quantity=MAX_STOCK - 5)
        )
        product_id = product.id
    with pytest.raises(StockLimitError):
        await _move(db, product_id, "restock", 6)
    assert await _move(db, product_id, "restock", 5) == MAX_STOCK
    assert await _move(db, product_id, "sale", -1_000_000) == MAX_STOCK - 1_000_000


# --- any sequence of movements ---------------------------------------------------------

down = st.integers(-25, -1)
up = st.integers(1, 25)
movements = st.lists(
    st.one_of(
        st.tuples(st.just("sale"), down),
        st.tuples(st.just("return"), up),
        st.tuples(st.just("restock"), up),
        st.tuples(st.just("adjustment"), st.one_of(down, up)),
        st.tuples(st.just("damage"), down),
    ),
    max_size=25,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(initial=st.integers(0, 30), sequence=movements)
async def test_any_sequence_keeps_stock_equal_to_its_logs_and_never_negative(
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    initial: int,
    sequence: list[tuple[str, int]],
) -> None:
    product_id = await stored_product(db, stock=initial)
    expected, logs = initial, 1 if initial else 0
    for action, quantity in sequence:
        if expected + quantity < 0:
            with pytest.raises(InsufficientStockError):
                await _move(db, product_id, action, quantity)
        else:
            assert await _move(db, product_id, action, quantity) == expected + quantity
            expected, logs = expected + quantity, logs + 1
        state = await ledger(db, product_id)
        assert state["stock"] == state["logged"] == expected >= 0
        assert state["logs"] == logs
        assert state["last"] == (expected if logs else None)
    async with db() as session:
        assert (await verify_stock(session)).mismatches == []
