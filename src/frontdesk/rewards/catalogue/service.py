"""The rewards catalogue: creating, changing, deactivating and deleting rewards.

- Every change is audited (``reward.create``, ``reward.update``, ``reward.delete``).
- A reward's terms (what its voucher gives: type, value, eligible services or product,
  minimum total) are frozen once it has vouchers, so a voucher always gives what was
  bought (409 ``reward_terms_locked``); its name, description, points cost, voucher
  lifetime, stock and activity may still change. To offer something else, deactivate it
  and create another.
- A reward is deleted only while nobody has redeemed it (409 ``reward_in_use``); after
  that it is deactivated, and its vouchers and ledger rows keep pointing at it.

Lock order: the audit chain, then the reward's row (``FOR UPDATE``), as redemptions take
them (see ``vouchers``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.inventory import service as products
from frontdesk.business.scheduling import service as services
from frontdesk.business.settings import service as business_settings
from frontdesk.core.errors import (
    ConflictError,
    NotFoundError,
    ValidationFailedError,
    register_code,
)
from frontdesk.core.money import to_money
from frontdesk.core.request_context import RequestMeta
from frontdesk.rewards.catalogue.conditions import (
    TERMS,
    Conditions,
    StoredConditions,
    check_terms,
)
from frontdesk.rewards.catalogue.models import Reward, RewardVoucher
from frontdesk.rewards.catalogue.schemas import RewardCreate, plain
from frontdesk.rewards.loyalty.models import LoyaltyTransaction
from frontdesk.security.audit import service as audit

ZERO = Decimal(0)
TERMS_LOCKED = register_code(
    "reward_terms_locked", 409, "The reward has vouchers: what it gives cannot change"
)
IN_USE = register_code("reward_in_use", 409, "The reward has been redeemed: deactivate it")
FREE_TYPES = frozenset({"free_service", "free_product"})


class TermsLockedError(ConflictError):
    error = TERMS_LOCKED


class InUseError(ConflictError):
    error = IN_USE


async def get(session: AsyncSession, reward_id: uuid.UUID, *, active_only: bool) -> Reward:
    reward = await session.get(Reward, reward_id)
    if reward is None or (active_only and not reward.is_active):
        raise NotFoundError("No such reward.")
    return reward


async def locked(session: AsyncSession, reward_id: uuid.UUID) -> Reward:
    """The reward, its row locked until the transaction ends (take the chain first)."""
    reward = await session.scalar(
        select(Reward)
        .where(Reward.id == reward_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if reward is None:
        raise NotFoundError("No such reward.")
    return reward


def listing(*, active_only: bool) -> Select[Any]:
    query = select(Reward)
    return query.where(Reward.is_active.is_(True)) if active_only else query


async def _ensure_references(session: AsyncSession, conditions: Conditions) -> None:
    """Every service and product the conditions name exists (422 with its path)."""
    named = [(f"service_ids.{i}", s) for i, s in enumerate(conditions.service_ids or ())]
    if conditions.service_id is not None:
        named.append(("service_id", conditions.service_id))
    for path, service_id in named:
        try:
            await services.get(session, service_id, active_only=False)
        except NotFoundError:
            raise _unknown(path, "service") from None
    if conditions.product_id is not None:
        try:
            await products.get(session, conditions.product_id)
        except NotFoundError:
            raise _unknown("product_id", "product") from None


def _unknown(path: str, what: str) -> ValidationFailedError:
    return ValidationFailedError(
        f"The conditions name a {what} that does not exist.",
        path=f"body.conditions.{path}",
        message=f"no such {what}",
    )


async def _stored(
    session: AsyncSession, kind: str, value: Decimal, conditions: Conditions
) -> StoredConditions:
    """Check the terms against the business currency; the conditions to store."""
    currency = (await business_settings.get(session)).currency
    check_terms(kind, value, conditions, currency)
    await _ensure_references(session, conditions)
    return StoredConditions(**conditions.model_dump(), currency=currency)


async def create(
    session: AsyncSession, body: RewardCreate, *, actor_id: uuid.UUID, meta: RequestMeta
) -> Reward:
    value = body.value if body.value is not None else ZERO
    stored = await _stored(session, body.type, value, body.conditions)
    reward = Reward(
        name=body.name,
        description=body.description,
        type=body.type,
        value=value,
        conditions=stored.as_json(),
        stock=body.stock,
        is_active=body.is_active,
    )
    session.add(reward)
    await session.flush()
    details = {**body.model_dump(mode="json"), "currency": stored.currency}
    await _audit(session, "reward.create", reward, details, actor_id, meta)
    return reward


async def update(
    session: AsyncSession,
    reward_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> Reward:
    await audit.lock_chain(session)
    reward = await locked(session, reward_id)
    before = _state(reward)
    if {"type", "value", "conditions"} & changes.keys():
        kind: str = changes.get("type", reward.type)
        # model_dump() gives amounts back as strings, as the API writes them.
        value = to_money(changes.get("value", ZERO if kind in FREE_TYPES else reward.value))
        current = StoredConditions.of(reward.conditions).model_dump(exclude={"currency"})
        conditions = Conditions.model_validate(changes.get("conditions", current))
        stored = await _stored(session, kind, value, conditions)
        if _terms(kind, value, stored) != _terms(reward.type, reward.value, _conditions(reward)):
            await _ensure_no_vouchers(session, reward, TermsLockedError)
        reward.type, reward.value, reward.conditions = kind, value, stored.as_json()
    for name in ("name", "description", "stock", "is_active"):
        if name in changes:
            setattr(reward, name, changes[name])
    await session.flush()
    details = audit.changed_fields(before, _state(reward))
    await _audit(session, "reward.update", reward, details, actor_id, meta)
    return reward


async def delete(
    session: AsyncSession, reward_id: uuid.UUID, *, actor_id: uuid.UUID, meta: RequestMeta
) -> None:
    await audit.lock_chain(session)
    reward = await locked(session, reward_id)
    await _ensure_no_vouchers(session, reward, InUseError)
    details = _state(reward)
    await session.delete(reward)
    await session.flush()
    await _audit(session, "reward.delete", reward, details, actor_id, meta)


def _conditions(reward: Reward) -> StoredConditions:
    return StoredConditions.of(reward.conditions)


def _terms(kind: str, value: Decimal, conditions: StoredConditions) -> tuple[Any, ...]:
    """What a voucher gives, comparable; the currency counts where money does."""
    fields = {"type": kind, "value": value, **conditions.model_dump()}
    money = kind == "discount_amount" or conditions.min_booking_total is not None
    ids = fields.get("service_ids")
    fields["service_ids"] = frozenset(ids) if ids else None
    return (*(fields[name] for name in TERMS), conditions.currency if money else None)


async def _ensure_no_vouchers(
    session: AsyncSession, reward: Reward, error: type[ConflictError]
) -> None:
    used = await session.scalar(
        select(
            or_(
                exists().where(RewardVoucher.reward_id == reward.id),
                exists().where(LoyaltyTransaction.reward_id == reward.id),
            )
        )
    )
    if used:
        raise error(
            "Vouchers of this reward exist; deactivate it and create another instead.",
            reward_id=str(reward.id),
        )


def _state(reward: Reward) -> dict[str, Any]:
    return {
        "name": reward.name,
        "description": reward.description,
        "type": reward.type,
        "value": plain(reward.value),
        "conditions": reward.conditions,
        "stock": reward.stock,
        "is_active": reward.is_active,
    }


async def _audit(
    session: AsyncSession,
    action: str,
    reward: Reward,
    details: dict[str, Any],
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> None:
    await audit.record(
        session,
        action=action,
        success=True,
        actor_id=actor_id,
        resource=f"reward:{reward.id}",
        details=details,
        meta=meta,
    )
