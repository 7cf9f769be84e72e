"""Ownership: a customer account reaches only its own customer profiles (SECURITY.md 14).

Customers get no broad read permissions; routes under ``/me`` scope every query to the
profiles the caller's account owns. Another customer's id answers 404, exactly like an
id that does not exist, so ids leak nothing.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from frontdesk.business.customers.models import Customer
from frontdesk.core.errors import NotFoundError
from frontdesk.security.auth.deps import Principal

SelectT = TypeVar("SelectT", bound=Select[Any])


def owned_customers(principal: Principal) -> Select[Any]:
    """The ids of the profiles the caller's account owns, as a subquery-ready select."""
    return select(Customer.id).where(Customer.user_id == principal.user_id)


def only_owned(
    query: SelectT, customer_column: InstrumentedAttribute[uuid.UUID], principal: Principal
) -> SelectT:
    """Narrow ``query`` to rows whose ``customer_column`` is one of the caller's profiles."""
    return query.where(customer_column.in_(owned_customers(principal).scalar_subquery()))


async def get_owned_customer(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID
) -> Customer:
    customer = await session.scalar(
        select(Customer).where(Customer.id == customer_id, Customer.user_id == principal.user_id)
    )
    if customer is None:
        raise NotFoundError("No such customer.")
    return customer


async def get_owned_live_customer(
    session: AsyncSession, principal: Principal, customer_id: uuid.UUID
) -> Customer:
    """An own profile that has not been erased: an erased one answers 404 like any other,
    since nothing personal is left to act on."""
    customer = await get_owned_customer(session, principal, customer_id)
    if customer.anonymized_at is not None:
        raise NotFoundError("No such customer.")
    return customer
