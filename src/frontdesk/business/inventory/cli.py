"""``frontdesk inventory verify``: every product's stock against its ledger.

Two rules, checked for every product in one query: the stock equals the sum of the
product's ``inventory_logs`` quantities, and the newest log's ``stock_after`` equals the
stock. Anything else means stock was changed outside :func:`stock.move_stock`.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import typer
from pydantic import ValidationError
from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.inventory.models import InventoryLog, Product
from frontdesk.core.config import get_settings
from frontdesk.core.db import create_engine, create_sessionmaker, transaction

inventory_app = typer.Typer(help="Products and stock.")


@dataclass(frozen=True)
class Mismatch:
    product_id: uuid.UUID
    sku: str
    name: str
    stock: int
    logged: int
    last_stock_after: int | None


@dataclass(frozen=True)
class VerifyReport:
    checked: int
    mismatches: list[Mismatch]


def _ledger() -> Select[Any]:
    """Per product: the sum of its logs, and the newest log's stock_after (rank 1).

    Newest = highest id: ids are UUIDv7 made after move_stock's UPDATE took the row, so
    they follow the order in which movements held the product. (Timestamps come from
    the request's clock, taken before waiting for the row, and may tie or cross.)
    """
    return select(
        InventoryLog.product_id,
        func.sum(InventoryLog.quantity).over(partition_by=InventoryLog.product_id).label("total"),
        InventoryLog.stock_after,
        func.row_number()
        .over(partition_by=InventoryLog.product_id, order_by=InventoryLog.id.desc())
        .label("rank"),
    )


def verify_query() -> Select[Any]:
    """Every product checked in one statement (no query per product); only the ones that
    do not match their logs come back."""
    ledger = _ledger().subquery()
    logged = func.coalesce(ledger.c.total, 0)
    return (
        select(
            Product.id,
            Product.sku,
            Product.name,
            Product.stock_quantity,
            logged.label("logged"),
            ledger.c.stock_after,
        )
        .outerjoin(ledger, (ledger.c.product_id == Product.id) & (ledger.c.rank == 1))
        .where(
            or_(
                Product.stock_quantity != logged,
                ledger.c.stock_after.is_not(None)
                & (ledger.c.stock_after != Product.stock_quantity),
            )
        )
        .order_by(Product.sku)
    )


async def verify_stock(session: AsyncSession) -> VerifyReport:
    rows = (await session.execute(verify_query())).all()
    checked = await session.scalar(select(func.count()).select_from(Product))
    mismatches = [
        Mismatch(row.id, row.sku, row.name, row.stock_quantity, int(row.logged), row.stock_after)
        for row in rows
    ]
    return VerifyReport(checked=int(checked or 0), mismatches=mismatches)


async def _verify(database_url: str) -> VerifyReport:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with transaction(create_sessionmaker(engine), write=False) as session:
            return await verify_stock(session)
    finally:
        await engine.dispose()


def _database_url() -> str:
    try:
        return get_settings().database_url
    except ValidationError as exc:
        typer.secho(f"Configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc


def describe(mismatch: Mismatch) -> str:
    last = "no log" if mismatch.last_stock_after is None else str(mismatch.last_stock_after)
    return (
        f"MISMATCH {mismatch.sku} ({mismatch.name}, id {mismatch.product_id}): "
        f"stock {mismatch.stock}, logs sum to {mismatch.logged}, last stock_after {last}"
    )


@inventory_app.command("verify")
def verify() -> None:
    """Check every product's stock against its inventory logs; exit 1 on any mismatch."""
    report = asyncio.run(_verify(_database_url()))
    for mismatch in report.mismatches:
        typer.secho(describe(mismatch), fg="red")
    if report.mismatches:
        typer.secho(
            f"{len(report.mismatches)} of {report.checked} products do not match their logs",
            fg="red",
        )
        raise typer.Exit(1)
    typer.secho(f"OK: {report.checked} products match their inventory logs", fg="green")
