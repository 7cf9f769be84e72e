"""Points: a customer's balance and history, and manual adjustments.

- ``GET /customers/{id}/points`` (``loyalty:read``): any profile, erased ones included
  (the ledger outlives erasure).
- ``POST /customers/{id}/points/adjustments`` (``loyalty:adjust``): audited, with a
  mandatory reason; an optional ``Idempotency-Key`` makes a retry replay, not repeat.
- ``GET /me/customers/{id}/points`` (signed in): only the caller's own live profiles;
  any other id answers 404, like one that does not exist (SECURITY.md 14).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.customers.ownership import get_owned_live_customer
from frontdesk.core import clock, idempotency
from frontdesk.core.deps import DbSession
from frontdesk.core.errors import NotFoundError
from frontdesk.core.pagination import Cursor, Limit
from frontdesk.core.request_context import Meta
from frontdesk.rewards.loyalty import service
from frontdesk.rewards.loyalty.permissions import LOYALTY_ADJUST, LOYALTY_READ
from frontdesk.rewards.loyalty.schemas import (
    AdjustmentCreate,
    AdjustmentRead,
    LoyaltyTransactionRead,
    PointsRead,
    StaffLoyaltyTransactionRead,
)
from frontdesk.security.auth.deps import CurrentPrincipal, Principal
from frontdesk.security.rbac.deps import require

router = APIRouter(tags=["loyalty"])

Adjuster = Annotated[Principal, require(LOYALTY_ADJUST)]


async def _customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError("No such customer.")
    return customer


@router.get(
    "/customers/{customer_id}/points",
    dependencies=[require(LOYALTY_READ)],
    summary="A customer's points: balance and history, newest first",
)
async def customer_points(
    customer_id: uuid.UUID, session: DbSession, limit: Limit = 50, cursor: Cursor = None
) -> PointsRead[StaffLoyaltyTransactionRead]:
    customer = await _customer(session, customer_id)
    return await service.points(
        session, customer, StaffLoyaltyTransactionRead, limit=limit, cursor=cursor
    )


@router.post(
    "/customers/{customer_id}/points/adjustments",
    status_code=status.HTTP_201_CREATED,
    response_model=AdjustmentRead,
    summary="Add or remove points by hand, with a reason",
)
async def adjust_points(
    customer_id: uuid.UUID,
    body: AdjustmentCreate,
    request: Request,
    session: DbSession,
    meta: Meta,
    adjuster: Adjuster,
    idempotency_key: idempotency.IdempotencyKeyHeader = None,
) -> Any:
    async def work() -> AdjustmentRead:
        row = await service.adjust(
            session, customer_id, body, actor_id=adjuster.user_id, meta=meta, now=clock.now()
        )
        return AdjustmentRead(
            balance=row.balance_after,
            transaction=StaffLoyaltyTransactionRead.model_validate(row),
        )

    return await idempotency.respond_once(
        request,
        session,
        owner=str(adjuster.user_id),
        raw_key=idempotency_key,
        body=body,
        status_code=status.HTTP_201_CREATED,
        work=work,
    )


@router.get(
    "/me/customers/{customer_id}/points",
    summary="Points of one of my profiles: balance and history, newest first",
)
async def own_points(
    customer_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> PointsRead[LoyaltyTransactionRead]:
    customer = await get_owned_live_customer(session, principal, customer_id)
    return await service.points(
        session, customer, LoyaltyTransactionRead, limit=limit, cursor=cursor
    )
