"""Rewards and vouchers as the API takes and shows them.

Nothing a client sends sets a voucher's status, its points or its owner: redeeming and
applying are actions of their own. A reward's ``conditions`` are validated field by
field (``conditions.Conditions``, unknown keys refused) and against its type.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, StringConstraints

from frontdesk.core.schemas import MoneyAmount, PartialUpdate, RequestModel, ResponseModel
from frontdesk.rewards.catalogue.conditions import Conditions, StoredConditions

RewardType = Literal["discount_amount", "discount_percent", "free_service", "free_product"]
VoucherStatus = Literal["issued", "applied", "cancelled", "expired"]
MAX_STOCK = 1_000_000

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=2000)]
Value = Annotated[MoneyAmount, Field(ge=0)]
Stock = Annotated[
    StrictInt, Field(ge=0, le=MAX_STOCK, description="Vouchers left to redeem; null: unlimited")
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class RewardCreate(RequestModel):
    name: Name
    description: Description | None = None
    type: RewardType
    value: Value | None = Field(
        default=None, description="discount_amount: money; discount_percent: 0-100; free: none"
    )
    conditions: Conditions
    stock: Stock | None = None
    is_active: bool = True


class RewardUpdate(PartialUpdate):
    """Only the fields sent change; ``conditions`` is replaced as a whole. ``description``
    and ``stock`` (unlimited) may be cleared with null."""

    CLEARABLE = frozenset({"description", "stock"})

    name: Name | None = None
    description: Description | None = None
    type: RewardType | None = None
    value: Value | None = None
    conditions: Conditions | None = None
    stock: Stock | None = None
    is_active: bool | None = None


class ConditionsRead(ResponseModel):
    points_cost: int
    service_ids: list[uuid.UUID] | None
    service_id: uuid.UUID | None
    product_id: uuid.UUID | None
    min_booking_total: MoneyAmount | None
    valid_days: int | None
    currency: str | None = Field(description="The currency of value and min_booking_total")


class RewardRead(ResponseModel):
    id: uuid.UUID
    name: str
    description: str | None
    type: str
    value: MoneyAmount
    points_cost: int
    conditions: ConditionsRead
    stock: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, reward: Any) -> RewardRead:
        conditions = StoredConditions.of(reward.conditions)
        return cls(
            id=reward.id,
            name=reward.name,
            description=reward.description,
            type=reward.type,
            value=reward.value,
            points_cost=conditions.points_cost,
            conditions=ConditionsRead.model_validate(conditions.model_dump()),
            stock=reward.stock,
            is_active=reward.is_active,
            created_at=reward.created_at,
            updated_at=reward.updated_at,
        )


class RedeemRequest(RequestModel):
    customer_id: uuid.UUID


class OwnRedeemRequest(RequestModel):
    """No fields: the reward and the profile are in the path."""


class VoucherRead(ResponseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    reward_id: uuid.UUID
    reward_name: str
    reward_type: str
    status: str = Field(description="issued, applied, cancelled or expired")
    points_spent: int
    booking_id: uuid.UUID | None
    applied_at: datetime | None
    expires_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, voucher: Any, reward: Any) -> VoucherRead:
        return cls(
            id=voucher.id,
            customer_id=voucher.customer_id,
            reward_id=voucher.reward_id,
            reward_name=reward.name,
            reward_type=reward.type,
            status=voucher.status,
            points_spent=voucher.points_spent,
            booking_id=voucher.booking_id,
            applied_at=voucher.applied_at,
            expires_at=voucher.expires_at,
            created_at=voucher.created_at,
        )


class Redemption(ResponseModel):
    voucher: VoucherRead
    balance: int = Field(description="The customer's points after the redemption")


class ApplyRequest(RequestModel):
    booking_id: uuid.UUID


class VoucherApplied(ResponseModel):
    voucher: VoucherRead
    booking_id: uuid.UUID
    subtotal: MoneyAmount
    discount: MoneyAmount
    total: MoneyAmount
    currency: str


class VoucherCancel(RequestModel):
    reason: Reason | None = None


class VoucherCancelled(ResponseModel):
    voucher: VoucherRead
    points_refunded: int
    balance: int


def plain(value: Any) -> Any:
    """Audit details are JSON: amounts as exact strings."""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value
