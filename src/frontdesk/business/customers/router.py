"""``/api/v1/customers``: staff create, search, read and change customer profiles.

Customer accounts never reach these routes (no ``customers:*`` permission); their own
profiles live under ``/api/v1/me/customers`` (ownership rules, ``ownership.py``).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers import privacy, service
from frontdesk.business.customers.models import Customer
from frontdesk.business.customers.permissions import (
    CUSTOMERS_CREATE,
    CUSTOMERS_ERASE,
    CUSTOMERS_EXPORT,
    CUSTOMERS_READ,
    CUSTOMERS_UPDATE,
)
from frontdesk.business.customers.schemas import CustomerCreate, CustomerRead, CustomerUpdate
from frontdesk.core import clock
from frontdesk.core.deps import DbSession
from frontdesk.core.errors import NotFoundError
from frontdesk.core.pagination import Cursor, Limit, Page, page_of, paginate
from frontdesk.core.request_context import Meta
from frontdesk.security.audit import service as audit
from frontdesk.security.auth.deps import Principal
from frontdesk.security.rbac.deps import require

router = APIRouter(prefix="/customers", tags=["customers"])

SearchText = Annotated[
    str | None,
    Query(
        max_length=100,
        description="Start of the name, email or phone number (case-insensitive)",
    ),
]


async def _customer(
    session: AsyncSession, customer_id: uuid.UUID, *, lock: bool = False
) -> Customer:
    customer = await session.get(Customer, customer_id, with_for_update=lock)
    if customer is None:
        raise NotFoundError("No such customer.")
    return customer


@router.get("", dependencies=[require(CUSTOMERS_READ)], summary="Search customers")
async def search_customers(
    session: DbSession,
    q: SearchText = None,
    include_erased: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CustomerRead]:
    query = paginate(service.search(q, include_erased=include_erased), Customer.id, cursor, limit)
    rows = (await session.scalars(query)).all()
    items, next_cursor = page_of(rows, limit, lambda row: row.id)
    page = [CustomerRead.of(row) for row in items]
    return Page[CustomerRead](items=page, next_cursor=next_cursor)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a customer profile, optionally referred by another customer's code",
)
async def create_customer(
    body: CustomerCreate,
    session: DbSession,
    meta: Meta,
    staff: Annotated[Principal, require(CUSTOMERS_CREATE)],
) -> CustomerRead:
    customer = await service.create_profile(
        session, owner_id=None, actor_id=staff.user_id, **body.model_dump()
    )
    await audit.record(
        session,
        action="customer.create",
        success=True,
        actor_id=staff.user_id,
        resource=f"customer:{customer.id}",
        meta=meta,
    )
    return CustomerRead.of(customer)


@router.get(
    "/{customer_id}", dependencies=[require(CUSTOMERS_READ)], summary="One customer profile"
)
async def get_customer(customer_id: uuid.UUID, session: DbSession) -> CustomerRead:
    return CustomerRead.of(await _customer(session, customer_id))


@router.patch("/{customer_id}", summary="Change a customer profile")
async def update_customer(
    customer_id: uuid.UUID,
    body: CustomerUpdate,
    session: DbSession,
    meta: Meta,
    staff: Annotated[Principal, require(CUSTOMERS_UPDATE)],
) -> CustomerRead:
    customer = await _customer(session, customer_id, lock=True)
    if customer.anonymized_at is not None:
        raise NotFoundError("No such customer.")  # erased: nothing personal to change
    await service.update_profile(
        session, customer, body.changes(), actor_id=staff.user_id, meta=meta
    )
    return CustomerRead.of(customer)


@router.get("/{customer_id}/export", summary="Everything held about a customer, as JSON")
async def export_customer(
    customer_id: uuid.UUID,
    session: DbSession,
    meta: Meta,
    staff: Annotated[Principal, require(CUSTOMERS_EXPORT)],
) -> Response:
    exported = await privacy.export(session, customer_id)
    # An export is itself a disclosure: who took it, and when, is on the record.
    await audit.record(
        session,
        action="customer.export",
        success=True,
        actor_id=staff.user_id,
        resource=f"customer:{customer_id}",
        meta=meta,
    )
    return Response(
        to_json(exported),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="customer-{customer_id}.json"'},
    )


@router.post("/{customer_id}/erase", summary="Pseudonymize a customer's personal data")
async def erase_customer(
    customer_id: uuid.UUID,
    session: DbSession,
    meta: Meta,
    staff: Annotated[Principal, require(CUSTOMERS_ERASE)],
) -> CustomerRead:
    erased = await privacy.erase(
        session, customer_id, now=clock.now(), actor_id=staff.user_id, meta=meta
    )
    return CustomerRead.of(erased)
