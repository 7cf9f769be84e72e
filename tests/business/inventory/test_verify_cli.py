"""``frontdesk inventory verify`` on both engines: quiet on consistent data, exit 1 naming
the product when its stock or its logs were changed around ``move_stock``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from click.testing import Result
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from frontdesk.business.inventory.cli import verify_query
from frontdesk.business.inventory.models import Product
from frontdesk.cli import app
from frontdesk.core.clock import FrozenClock
from frontdesk.core.config import get_settings
from frontdesk.core.db import transaction
from tests.business.inventory.conftest import stored_product

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI pointed at this run's migrated test database (either engine)."""
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", database_url)
    monkeypatch.delenv("FRONTDESK_ENVIRONMENT", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _verify() -> Result:
    # The command runs its own event loop (asyncio.run): give it a thread without one.
    return await asyncio.to_thread(runner.invoke, app, ["inventory", "verify"])


async def _sku(db: async_sessionmaker[AsyncSession], product_id: uuid.UUID) -> str:
    async with db() as session:
        sku = await session.scalar(select(Product.sku).where(Product.id == product_id))
    return str(sku)


async def _tamper(db: async_sessionmaker[AsyncSession], sql: str, sku: str) -> None:
    async with transaction(db) as session:
        await session.execute(text(sql), {"sku": sku})


async def test_consistent_stock_verifies(
    cli_env: None, db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    for stock in (0, 3, 12):
        await stored_product(db, stock=stock)
    result = await _verify()
    assert result.exit_code == 0, result.output
    assert "OK: 3 products match their inventory logs" in result.output


async def test_stock_changed_around_the_ledger_is_reported_and_exits_1(
    cli_env: None, db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    intact = await _sku(db, await stored_product(db, stock=4))
    tampered_id = await stored_product(db, stock=5)
    tampered = await _sku(db, tampered_id)
    await _tamper(db, "UPDATE products SET stock_quantity = 7 WHERE sku = :sku", tampered)
    result = await _verify()
    assert result.exit_code == 1, result.output
    assert f"MISMATCH {tampered} (" in result.output
    assert f"id {tampered_id}): stock 7, logs sum to 5, last stock_after 5" in result.output
    assert intact not in result.output
    assert "1 of 2 products do not match their logs" in result.output


async def test_a_rewritten_log_is_caught_by_the_last_stock_after(
    cli_env: None, db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    """The sum still matches; the newest log's stock_after does not."""
    sku = await _sku(db, await stored_product(db, stock=6))
    await _tamper(
        db,
        "UPDATE inventory_logs SET stock_after = 9 "
        "WHERE product_id = (SELECT id FROM products WHERE sku = :sku)",
        sku,
    )
    result = await _verify()
    assert result.exit_code == 1, result.output
    assert f"MISMATCH {sku} (" in result.output
    assert "stock 6, logs sum to 6, last stock_after 9" in result.output


async def test_stock_without_any_log_is_reported(
    cli_env: None, db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    sku = await _sku(db, await stored_product(db))
    await _tamper(db, "UPDATE products SET stock_quantity = 2 WHERE sku = :sku", sku)
    result = await _verify()
    assert result.exit_code == 1, result.output
    assert "stock 2, logs sum to 0, last stock_after no log" in result.output


def test_the_check_is_one_statement_over_all_products() -> None:
    """No query per product: the ledger is aggregated in a window over inventory_logs
    and joined to products once."""
    sql = str(verify_query()).lower()
    assert sql.count("from products") == 1
    assert sql.count("from inventory_logs") == 1
    assert "over (partition by inventory_logs.product_id" in sql
