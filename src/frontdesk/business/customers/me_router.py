"""``/api/v1/me/customers``: a signed-in account's own customer profiles (a household:
the person, a child, a partner). Every query is scoped to the caller's profiles through
the ownership rules; another account's profile answers 404, like one that does not exist.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status
from sqlalchemy import func, select

from frontdesk.business.customers import service
from frontdesk.business.customers.models import Customer
from frontdesk.business.customers.ownership import get_owned_live_customer, owned_customers
from frontdesk.business.customers.schemas import (
    OwnProfileCreate,
    OwnProfileRead,
    OwnProfileUpdate,
)
from frontdesk.core.deps import DbSession
from frontdesk.core.errors import ConflictError
from frontdesk.core.request_context import Meta
from frontdesk.security.audit import service as audit
from frontdesk.security.auth.deps import CurrentPrincipal
from frontdesk.security.auth.models import User

router = APIRouter(prefix="/me/customers", tags=["me"])

MAX_PROFILES_PER_ACCOUNT = 10


@router.get("", summary="My customer profiles")
async def list_own_profiles(
    principal: CurrentPrincipal, session: DbSession
) -> list[OwnProfileRead]:
    query = (
        select(Customer)
        .where(Customer.user_id == principal.user_id, Customer.anonymized_at.is_(None))
        .order_by(Customer.id)
    )
    return [OwnProfileRead.of(row) for row in await session.scalars(query)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Add a profile to my household")
async def add_own_profile(
    body: OwnProfileCreate, principal: CurrentPrincipal, session: DbSession, meta: Meta
) -> OwnProfileRead:
    # The account's row, locked: two parallel additions cannot both pass the limit.
    await session.execute(select(User.id).where(User.id == principal.user_id).with_for_update())
    owned = await session.scalar(
        select(func.count()).select_from(owned_customers(principal).subquery())
    )
    if (owned or 0) >= MAX_PROFILES_PER_ACCOUNT:
        raise ConflictError(f"An account holds at most {MAX_PROFILES_PER_ACCOUNT} profiles.")
    customer = await service.create_profile(
        session, owner_id=principal.user_id, actor_id=principal.user_id, **body.model_dump()
    )
    await audit.record(
        session,
        action="customer.create",
        success=True,
        actor_id=principal.user_id,
        resource=f"customer:{customer.id}",
        details={"self_service": True},
        meta=meta,
    )
    return OwnProfileRead.of(customer)


@router.get("/{customer_id}", summary="One of my profiles")
async def get_own_profile(
    customer_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> OwnProfileRead:
    return OwnProfileRead.of(await get_owned_live_customer(session, principal, customer_id))


@router.patch("/{customer_id}", summary="Change one of my profiles")
async def update_own_profile(
    customer_id: uuid.UUID,
    body: OwnProfileUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
    meta: Meta,
) -> OwnProfileRead:
    customer = await get_owned_live_customer(session, principal, customer_id)
    await service.update_profile(
        session,
        customer,
        body.changes(),
        actor_id=principal.user_id,
        meta=meta,
        self_service=True,
    )
    return OwnProfileRead.of(customer)
