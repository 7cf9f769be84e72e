"""Business settings as the API reads and changes them."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, Field, StrictInt, model_validator

from frontdesk.core.schemas import MoneyAmount, PartialUpdate, ResponseModel

MINUTES_PER_DAY = 24 * 60
MAX_CUTOFF_MINUTES = 30 * MINUTES_PER_DAY


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _known_zone(name: str) -> str:
    if name not in _zones():
        raise ValueError("not an IANA time zone name, e.g. Europe/Paris")
    return name


TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_known_zone)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. EUR")]
# Loyalty earning rules (the rewards layer applies them); bounded here, not by CHECKs.
MAX_POINTS_PER_UNIT = 1000
MAX_EXPIRY_MONTHS = 120
# Referral rules (the rewards layer applies them): points for each side, and the days
# after a referral completes in which a full refund of the first booking cancels it.
# JSON integers only: a "5" or a true is a typo in a rule that gives points away.
MAX_REFERRAL_POINTS = 100_000
MAX_REFERRAL_WINDOW_DAYS = 365
PointsRate = Annotated[
    MoneyAmount,
    Field(ge=0, le=MAX_POINTS_PER_UNIT, description="Points per unit of the currency; 0 = off"),
]


class BusinessSettingsRead(ResponseModel):
    business_name: str
    business_address: str | None
    time_zone: str
    currency: str
    slot_step_minutes: int
    min_notice_minutes: int
    horizon_days: int
    cancellation_cutoff_minutes: int
    reschedule_cutoff_minutes: int
    online_bookings_need_confirmation: bool
    reminder_hours_before: int
    points_per_currency_unit: PointsRate
    points_expiry_months: int
    referral_reward_points: int
    referral_refund_window_days: int
    updated_at: datetime


class BusinessSettingsUpdate(PartialUpdate):
    """Only the fields sent change; a null clears only ``business_address``."""

    CLEARABLE = frozenset({"business_address"})

    business_name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    business_address: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    time_zone: TimeZoneName | None = None
    currency: CurrencyCode | None = None
    slot_step_minutes: int | None = Field(default=None, ge=5, le=240)
    min_notice_minutes: int | None = Field(default=None, ge=0, le=MAX_CUTOFF_MINUTES)
    horizon_days: int | None = Field(default=None, ge=1, le=730)
    cancellation_cutoff_minutes: int | None = Field(default=None, ge=0, le=MAX_CUTOFF_MINUTES)
    reschedule_cutoff_minutes: int | None = Field(default=None, ge=0, le=MAX_CUTOFF_MINUTES)
    online_bookings_need_confirmation: bool | None = None
    reminder_hours_before: int | None = Field(default=None, ge=0, le=7 * 24)
    points_per_currency_unit: PointsRate | None = None
    points_expiry_months: int | None = Field(
        default=None, ge=0, le=MAX_EXPIRY_MONTHS, description="0 = points never expire"
    )
    referral_reward_points: StrictInt | None = Field(
        default=None,
        ge=0,
        le=MAX_REFERRAL_POINTS,
        description="Points to each side when a referral completes; 0 = no referral rewards",
    )
    referral_refund_window_days: StrictInt | None = Field(
        default=None,
        ge=0,
        le=MAX_REFERRAL_WINDOW_DAYS,
        description="Days after completion in which a full refund cancels it; 0 = never",
    )

    @model_validator(mode="after")
    def _slot_step_divides_the_day(self) -> BusinessSettingsUpdate:
        # Slots then start at the same times every day: 09:00, 09:15, ...
        step = self.slot_step_minutes
        if step is not None and MINUTES_PER_DAY % step:
            raise ValueError("slot_step_minutes must divide a day (5, 10, 15, 20, 30, 60, ...)")
        return self
