"""Services, staff services, working hours and time off as the API takes and shows them."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from itertools import pairwise
from typing import Annotated

from pydantic import Field, model_validator

from frontdesk.core.schemas import (
    Instant,
    MoneyAmount,
    PartialUpdate,
    RequestModel,
    ResponseModel,
)

MAX_RANGES_PER_DAY = 6
MAX_TIME_OFF = timedelta(days=366)

Name = Annotated[str, Field(min_length=1, max_length=200)]
Category = Annotated[str, Field(min_length=1, max_length=100)]
Description = Annotated[str, Field(max_length=2000)]
Duration = Annotated[int, Field(ge=5, le=24 * 60, description="Minutes the service takes")]
Buffer = Annotated[int, Field(ge=0, le=240, description="Minutes kept free around it")]
Price = Annotated[MoneyAmount, Field(ge=0)]


class ServiceCreate(RequestModel):
    name: Name
    category: Category | None = None
    description: Description | None = None
    duration_minutes: Duration
    buffer_before_minutes: Buffer = 0
    buffer_after_minutes: Buffer = 0
    price: Price
    is_active: bool = True


class ServiceUpdate(PartialUpdate):
    """Only the fields sent change; ``category`` and ``description`` may be cleared."""

    CLEARABLE = frozenset({"category", "description"})

    name: Name | None = None
    category: Category | None = None
    description: Description | None = None
    duration_minutes: Duration | None = None
    buffer_before_minutes: Buffer | None = None
    buffer_after_minutes: Buffer | None = None
    price: Price | None = None
    is_active: bool | None = None


class ServiceRead(ResponseModel):
    id: uuid.UUID
    name: str
    category: str | None
    description: str | None
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    price: MoneyAmount
    currency: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class StaffServicesUpdate(RequestModel):
    """The whole set of services the staff member performs (replaces the current one)."""

    service_ids: list[uuid.UUID] = Field(max_length=500)


class StaffServicesRead(ResponseModel):
    user_id: uuid.UUID
    service_ids: list[uuid.UUID]


class WorkingRange(RequestModel):
    """One working range on one weekday (ISO: 1 = Monday), in the business time zone."""

    weekday: int = Field(ge=1, le=7)
    start_time: time
    end_time: time

    @model_validator(mode="after")
    def _ordered(self) -> WorkingRange:
        if self.start_time.tzinfo is not None or self.end_time.tzinfo is not None:
            raise ValueError("times are wall-clock times in the business time zone, no offset")
        if self.start_time >= self.end_time:
            raise ValueError("start_time must be before end_time")
        return self


class WorkingHoursUpdate(RequestModel):
    """The whole week (replaces the current one); ranges of one day may not overlap."""

    ranges: list[WorkingRange] = Field(max_length=7 * MAX_RANGES_PER_DAY)

    @model_validator(mode="after")
    def _no_overlap_within_a_day(self) -> WorkingHoursUpdate:
        by_day: dict[int, list[WorkingRange]] = {}
        for item in self.ranges:
            by_day.setdefault(item.weekday, []).append(item)
        for weekday, items in by_day.items():
            if len(items) > MAX_RANGES_PER_DAY:
                raise ValueError(f"at most {MAX_RANGES_PER_DAY} ranges on weekday {weekday}")
            items.sort(key=lambda item: item.start_time)
            for earlier, later in pairwise(items):
                if later.start_time < earlier.end_time:
                    raise ValueError(f"ranges overlap on weekday {weekday}")
        return self


class WorkingRangeRead(ResponseModel):
    weekday: int
    start_time: time
    end_time: time


class WorkingHoursRead(ResponseModel):
    user_id: uuid.UUID
    ranges: list[WorkingRangeRead]


class TimeOffCreate(RequestModel):
    starts_at: Instant
    ends_at: Instant
    reason: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> TimeOffCreate:
        if self.starts_at >= self.ends_at:
            raise ValueError("starts_at must be before ends_at")
        if self.ends_at - self.starts_at > MAX_TIME_OFF:
            raise ValueError(f"at most {MAX_TIME_OFF.days} days at once")
        return self


class TimeOffRead(ResponseModel):
    id: uuid.UUID
    user_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime
    reason: str | None
    created_at: datetime


class StaffSlotsRead(ResponseModel):
    staff_id: uuid.UUID
    slots: list[datetime]


class AvailabilityRead(ResponseModel):
    """Open start times per staff member: nothing personal, for the public booking page."""

    service_id: uuid.UUID
    time_zone: str
    slot_step_minutes: int
    duration_minutes: int
    staff: list[StaffSlotsRead]


class CalendarAppointment(ResponseModel):
    id: uuid.UUID
    start: datetime
    end: datetime
    blocked_from: datetime
    blocked_until: datetime
    status: str
    service_id: uuid.UUID
    service_name: str
    customer_id: uuid.UUID
    customer_name: str


class CalendarRead(ResponseModel):
    """One staff member's time in a window: appointments (cancelled ones included, for
    the record), time off and closures. The console draws day and week views from it."""

    staff_id: uuid.UUID
    time_zone: str
    appointments: list[CalendarAppointment]
    time_off: list[TimeOffRead]
    closures: list[TimeOffRead]


class CalendarFeedIssued(ResponseModel):
    """The feed's URL, shown this once: only its hash is kept."""

    url: str
