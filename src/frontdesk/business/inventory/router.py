"""``/api/v1/products``: the product catalogue, its stock and the stock's history.

Reading needs ``products:read`` (every staff role); creating and changing products
``products:manage``; restocking and adjusting ``inventory:adjust``. Sales and returns
move stock through bookings, never through these routes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.inventory import service
from frontdesk.business.inventory.models import InventoryLog, Product
from frontdesk.business.inventory.permissions import (
    INVENTORY_ADJUST,
    PRODUCTS_MANAGE,
    PRODUCTS_READ,
)
from frontdesk.business.inventory.schemas import (
    AdjustRequest,
    InventoryLogRead,
    ProductCreate,
    ProductRead,
    ProductUpdate,
    RestockRequest,
    StockMoved,
)
from frontdesk.business.settings import service as business_settings
from frontdesk.core import clock, idempotency
from frontdesk.core.deps import DbSession
from frontdesk.core.pagination import Cursor, Limit, Page, page_of, paginate
from frontdesk.core.request_context import Meta, RequestMeta
from frontdesk.security.auth.deps import Principal
from frontdesk.security.rbac.deps import require

router = APIRouter(prefix="/products", tags=["products"])

Reader = [require(PRODUCTS_READ)]
Manager = Annotated[Principal, require(PRODUCTS_MANAGE)]
StockKeeper = Annotated[Principal, require(INVENTORY_ADJUST)]
SearchText = Annotated[
    str | None,
    Query(max_length=100, description="Start of the name or the SKU (case-insensitive)"),
]
CategoryFilter = Annotated[str | None, Query(max_length=100, description="Exact category")]


async def _currency(session: AsyncSession) -> str:
    # Products are priced in the business currency; the API always says which.
    return (await business_settings.get(session)).currency


async def _page(
    session: AsyncSession, listing: Select[Any], limit: int, cursor: str | None
) -> Page[ProductRead]:
    query = paginate(listing, Product.id, cursor, limit)
    rows = (await session.scalars(query)).all()
    items, next_cursor = page_of(rows, limit, lambda row: row.id)
    currency = await _currency(session)
    return Page[ProductRead](
        items=[ProductRead.of(row, currency) for row in items], next_cursor=next_cursor
    )


@router.get("", dependencies=Reader, summary="Search products")
async def search_products(
    session: DbSession,
    q: SearchText = None,
    category: CategoryFilter = None,
    is_active: bool | None = None,
    low_stock: Annotated[
        bool | None, Query(description="true: at or below the reorder level")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ProductRead]:
    listing = service.search(q, category=category, is_active=is_active, low_stock=low_stock)
    return await _page(session, listing, limit, cursor)


# Declared before /{product_id}, which would otherwise take "low-stock" as an id.
@router.get("/low-stock", dependencies=Reader, summary="Active products to reorder")
async def low_stock_products(
    session: DbSession, limit: Limit = 50, cursor: Cursor = None
) -> Page[ProductRead]:
    return await _page(session, service.low_stock(), limit, cursor)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a product")
async def create_product(
    body: ProductCreate, session: DbSession, meta: Meta, manager: Manager
) -> ProductRead:
    product = await service.create(
        session, body.model_dump(), actor_id=manager.user_id, meta=meta, now=clock.now()
    )
    return ProductRead.of(product, await _currency(session))


@router.get("/{product_id}", dependencies=Reader, summary="One product, deactivated or not")
async def get_product(product_id: uuid.UUID, session: DbSession) -> ProductRead:
    product = await service.get(session, product_id)
    return ProductRead.of(product, await _currency(session))


@router.patch("/{product_id}", summary="Change or deactivate a product")
async def update_product(
    product_id: uuid.UUID, body: ProductUpdate, session: DbSession, meta: Meta, manager: Manager
) -> ProductRead:
    product = await service.update(
        session, product_id, body.changes(), actor_id=manager.user_id, meta=meta
    )
    return ProductRead.of(product, await _currency(session))


@router.post("/{product_id}/restock", response_model=StockMoved, summary="Add delivered stock")
async def restock_product(
    product_id: uuid.UUID,
    body: RestockRequest,
    request: Request,
    session: DbSession,
    meta: Meta,
    keeper: StockKeeper,
    idempotency_key: idempotency.IdempotencyKeyHeader = None,
) -> Any:
    move = _Move(product_id, "restock", body.quantity, body.reason)
    return await _move_once(request, session, meta, keeper, idempotency_key, body, move)


@router.post(
    "/{product_id}/adjust",
    response_model=StockMoved,
    summary="Correct the stock after a count, or write off damaged goods",
)
async def adjust_product(
    product_id: uuid.UUID,
    body: AdjustRequest,
    request: Request,
    session: DbSession,
    meta: Meta,
    keeper: StockKeeper,
    idempotency_key: idempotency.IdempotencyKeyHeader = None,
) -> Any:
    move = _Move(product_id, body.action, body.quantity, body.reason)
    return await _move_once(request, session, meta, keeper, idempotency_key, body, move)


@dataclass(frozen=True)
class _Move:
    product_id: uuid.UUID
    action: str
    quantity: int
    reason: str | None


async def _move_once(
    request: Request,
    session: AsyncSession,
    meta: RequestMeta,
    keeper: Principal,
    raw_key: str | None,
    body: BaseModel,
    move: _Move,
) -> Any:
    """One stock movement; a retry with the same Idempotency-Key replays it instead of
    counting the delivery twice."""

    async def work() -> StockMoved:
        product, log = await service.move(
            session,
            move.product_id,
            action=move.action,
            quantity=move.quantity,
            reason=move.reason,
            actor_id=keeper.user_id,
            meta=meta,
            now=clock.now(),
        )
        return StockMoved(
            product=ProductRead.of(product, await _currency(session)),
            movement=InventoryLogRead.model_validate(log),
        )

    return await idempotency.respond_once(
        request,
        session,
        owner=str(keeper.user_id),
        raw_key=raw_key,
        body=body,
        status_code=status.HTTP_200_OK,
        work=work,
    )


@router.get(
    "/{product_id}/inventory-logs", dependencies=Reader, summary="Stock movements, newest first"
)
async def product_inventory_logs(
    product_id: uuid.UUID, session: DbSession, limit: Limit = 50, cursor: Cursor = None
) -> Page[InventoryLogRead]:
    await service.get(session, product_id)  # an unknown product is a 404, not an empty page
    query = paginate(service.movements(product_id), InventoryLog.id, cursor, limit)
    rows = (await session.scalars(query)).all()
    items, next_cursor = page_of(rows, limit, lambda row: row.id)
    return Page[InventoryLogRead](
        items=[InventoryLogRead.model_validate(row) for row in items], next_cursor=next_cursor
    )
