"""Referrals as the API shows and takes them.

Staff see both customers of a referral. A customer sees their own code and the referrals
they made by status and date only: who they brought is that person's data, not theirs.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from frontdesk.business.customers.schemas import ReferralCodeInput
from frontdesk.core.schemas import RequestModel, ResponseModel

ReferralStatus = Literal["pending", "completed", "cancelled"]


class ReferralRead(ResponseModel):
    id: uuid.UUID
    referrer_id: uuid.UUID
    referred_id: uuid.UUID
    status: ReferralStatus
    reward_points: int = Field(description="Points each side was credited; 0 until completed")
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ReferralCreate(RequestModel):
    """Staff attach a referral to an existing customer who has none and has not paid for
    a booking yet (say the code was forgotten at sign-up)."""

    referred_customer_id: uuid.UUID
    code: ReferralCodeInput


class OwnReferralRead(ResponseModel):
    """A referral as one of its two customers sees it: no other customer named."""

    id: uuid.UUID
    status: ReferralStatus
    reward_points: int
    completed_at: datetime | None
    created_at: datetime


class ReferralCounts(ResponseModel):
    pending: int = 0
    completed: int = 0
    cancelled: int = 0


class OwnReferralSummary(ResponseModel):
    """A profile's code, how it was referred itself, and one page of the referrals it
    made (newest first)."""

    customer_id: uuid.UUID
    referral_code: str | None
    points_earned: int = Field(
        description="Net points from referrals, both sides: credits less reversals"
    )
    referred_by: OwnReferralRead | None = Field(description="This profile's own referral")
    counts: ReferralCounts = Field(description="Referrals made, by status")
    items: list[OwnReferralRead]
    next_cursor: str | None
