"""Opening referrals, and reading them.

A referral is opened when a customer is created with another customer's code (the
``customer.created`` event, see ``handlers``) or when staff attach a code to an existing
customer later. Either way the rules are the same:

- the code is resolved by the business layer (``referral_codes.find_referrer``): unknown
  codes and a household's own codes are 422 problems there;
- one referral per referred customer: 409 ``already_referred`` (the UNIQUE on
  ``referred_id`` is the backstop for a race on PostgreSQL);
- only before the referred customer's first paid booking: 409 ``referral_too_late``.

Lock order: the audit chain first (every path that changes a referral takes it before
anything else), which also serializes opening a referral with every ``booking.paid``
(payments audit before publishing it): a booking paid concurrently is either seen by the
"no paid booking" check or sees the new pending referral.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers import referral_codes
from frontdesk.business.customers.models import Customer
from frontdesk.business.orders.models import Booking, OrderEvent
from frontdesk.core.errors import (
    ConflictError,
    ValidationFailedError,
    register_code,
    register_constraint,
)
from frontdesk.core.pagination import page_of, paginate
from frontdesk.core.request_context import RequestMeta
from frontdesk.rewards.loyalty.models import LoyaltyTransaction as Tx
from frontdesk.rewards.referrals.models import Referral
from frontdesk.rewards.referrals.schemas import (
    OwnReferralRead,
    OwnReferralSummary,
    ReferralCounts,
    ReferralCreate,
)
from frontdesk.security.audit import service as audit

ALREADY_REFERRED = register_code("already_referred", 409, "The customer was already referred")
REFERRAL_TOO_LATE = register_code(
    "referral_too_late", 409, "The customer has already paid for a booking"
)


class AlreadyReferredError(ConflictError):
    error = ALREADY_REFERRED


class ReferralTooLateError(ConflictError):
    error = REFERRAL_TOO_LATE


# Two concurrent first referrals of one customer: the second insert meets the UNIQUE.
register_constraint("uq_referrals_referred_id", AlreadyReferredError)
register_constraint("ck_referrals_no_self_referral", referral_codes.SelfReferralError)


async def open_referral(
    session: AsyncSession,
    *,
    referrer_id: uuid.UUID,
    referred_id: uuid.UUID,
    via: str,
    actor_id: uuid.UUID | None,
    meta: RequestMeta | None = None,
) -> Referral:
    """A pending referral, audited (``referral.create``). The caller holds the chain."""
    if await session.scalar(select(Referral.id).where(Referral.referred_id == referred_id)):
        raise AlreadyReferredError("This customer was already referred.")
    referral = Referral(referrer_id=referrer_id, referred_id=referred_id, status="pending")
    session.add(referral)
    await session.flush()
    await audit.record(
        session,
        action="referral.create",
        success=True,
        actor_id=actor_id,
        resource=f"referral:{referral.id}",
        details={"referrer_id": referrer_id, "referred_id": referred_id, "via": via},
        meta=meta,
    )
    return referral


async def has_paid_booking(session: AsyncSession, customer_id: uuid.UUID) -> bool:
    """Whether a booking of the customer was ever paid in full (its ``booking.paid``
    timeline entry; a later refund does not undo having paid)."""
    paid = (
        select(OrderEvent.id)
        .join(Booking, Booking.id == OrderEvent.order_id)
        .where(Booking.customer_id == customer_id, OrderEvent.event_type == "booking.paid")
    )
    return bool(await session.scalar(select(exists(paid))))


async def attach(
    session: AsyncSession,
    body: ReferralCreate,
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> Referral:
    """Staff give an existing customer the referrer they forgot to name at sign-up."""
    await audit.lock_chain(session)  # first: see the module's lock order
    referred = await session.get(Customer, body.referred_customer_id)
    if referred is None or referred.anonymized_at is not None:
        raise ValidationFailedError(
            "No such customer.",
            path="body.referred_customer_id",
            message="unknown customer",
        )
    referrer = await referral_codes.find_referrer(
        session, body.code, path="body.code", referred_id=referred.id, owner_id=referred.user_id
    )
    if await has_paid_booking(session, referred.id):
        raise ReferralTooLateError(
            "Referrals count from a customer's first paid booking; this one has paid already."
        )
    return await open_referral(
        session,
        referrer_id=referrer.id,
        referred_id=referred.id,
        via="attach",
        actor_id=actor_id,
        meta=meta,
    )


def listing(
    *,
    referrer_id: uuid.UUID | None,
    referred_id: uuid.UUID | None,
    status: str | None,
) -> Select[Any]:
    """Referrals matching every filter given, for :func:`paginate`."""
    query = select(Referral)
    if referrer_id is not None:
        query = query.where(Referral.referrer_id == referrer_id)
    if referred_id is not None:
        query = query.where(Referral.referred_id == referred_id)
    if status is not None:
        query = query.where(Referral.status == status)
    return query


async def own_summary(
    session: AsyncSession, customer: Customer, *, limit: int, cursor: str | None
) -> OwnReferralSummary:
    """What a customer sees of referrals: see :class:`OwnReferralSummary`."""
    made = listing(referrer_id=customer.id, referred_id=None, status=None)
    rows = (await session.scalars(paginate(made, Referral.id, cursor, limit))).all()
    items, next_cursor = page_of(rows, limit, lambda row: row.id)
    counted = await session.execute(
        select(Referral.status, func.count())
        .where(Referral.referrer_id == customer.id)
        .group_by(Referral.status)
    )
    own = await session.scalar(select(Referral).where(Referral.referred_id == customer.id))
    earned = await session.scalar(
        select(func.coalesce(func.sum(Tx.points), 0)).where(
            Tx.customer_id == customer.id, Tx.referral_id.is_not(None)
        )
    )
    return OwnReferralSummary(
        customer_id=customer.id,
        referral_code=customer.referral_code,
        points_earned=int(earned or 0),
        referred_by=OwnReferralRead.model_validate(own) if own else None,
        counts=ReferralCounts(**{status: int(n) for status, n in counted}),
        items=[OwnReferralRead.model_validate(row) for row in items],
        next_cursor=next_cursor,
    )


async def locked(session: AsyncSession, referral_id: uuid.UUID) -> Referral:
    """The referral, its row locked until the transaction ends, read afresh (a second
    delivery of an event must see what the first committed).

    ``FOR NO KEY UPDATE``: the ledger rows written under it reference the referral and
    take key-share locks, which a plain ``FOR UPDATE`` held elsewhere would wait on."""
    query = (
        select(Referral)
        .where(Referral.id == referral_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one()
