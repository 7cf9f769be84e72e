"""Points as the API shows and takes them.

Customers see their ledger rows without the staff member who made them; staff see who.
An adjustment is the only way the API moves points, and its points are a strict JSON
integer with a mandatory reason: a balance change nobody can explain is what loyalty
customers complain about most.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, Field, StrictInt, StringConstraints, field_validator

from frontdesk.core.schemas import MoneyAmount, RequestModel, ResponseModel

MAX_ADJUSTMENT = 100_000  # points in one manual adjustment: more is a typo, not a gesture


class LoyaltyTransactionRead(ResponseModel):
    """One ledger row: signed points, why, and what it links to."""

    id: uuid.UUID
    points: int
    reason: str = Field(description="earn, redeem, referral, adjustment, expiry or reversal")
    balance_after: int
    booking_id: uuid.UUID | None
    reward_id: uuid.UUID | None
    referral_id: uuid.UUID | None
    amount: MoneyAmount | None = Field(
        description="The money it was computed from: an earn's net paid, a reversal's refund"
    )
    currency: str | None
    note: str | None
    expires_at: datetime | None
    created_at: datetime


class StaffLoyaltyTransactionRead(LoyaltyTransactionRead):
    actor_user_id: uuid.UUID | None


class NextExpiry(ResponseModel):
    """The oldest unspent points and when they expire under the current setting."""

    points: int
    expires_at: datetime


T = TypeVar("T", bound=LoyaltyTransactionRead)


class PointsRead(BaseModel, Generic[T]):
    """The balance and one page of the history, newest first."""

    customer_id: uuid.UUID
    balance: int
    expiry_months: int = Field(description="Points expire this many months after credit; 0 never")
    next_expiry: NextExpiry | None
    items: list[T]
    next_cursor: str | None


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class AdjustmentCreate(RequestModel):
    points: Annotated[StrictInt, Field(ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT)]
    reason: Reason

    @field_validator("points")
    @classmethod
    def _not_zero(cls, points: int) -> int:
        if points == 0:
            raise ValueError("points must not be zero")
        return points


class AdjustmentRead(ResponseModel):
    balance: int
    transaction: StaffLoyaltyTransactionRead
