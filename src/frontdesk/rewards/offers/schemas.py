"""Offers as the API takes and shows them.

Percentages are exact decimals (at most two places, more than 0 and at most 100), sent
as a string or a JSON number and answered as a string. Conditions are a closed schema:
an unknown key is a 422, since a misspelt condition would otherwise make the offer
apply to every booking. Customers see an offer's terms but not its customer tags (staff
labels, like a profile's own tags).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)

from frontdesk.business.customers.schemas import Tag
from frontdesk.core.schemas import (
    Instant,
    MoneyAmount,
    PartialUpdate,
    RequestModel,
    ResponseModel,
)
from frontdesk.rewards.marketing.audience import AudienceRule

MAX_CONDITION_SERVICES = 50
MAX_CONDITION_TAGS = 20
MAX_HAND_OUT = 500  # customers named in one hand-out; an audience has no such bound
MAX_USES = 1_000_000_000  # fits the 32-bit columns with room to spare


def _distinct(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


Percent = Annotated[
    Decimal,
    Field(gt=0, le=100, max_digits=5, decimal_places=2, allow_inf_nan=False),
    # JSON only: the service compares and stores the Decimal itself.
    PlainSerializer(_decimal_text, return_type=str, when_used="json"),
]
PercentRead = Annotated[Decimal, PlainSerializer(_decimal_text, return_type=str)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
UseLimit = Annotated[StrictInt, Field(ge=1, le=MAX_USES)]
ServiceIds = Annotated[
    list[uuid.UUID],
    Field(min_length=1, max_length=MAX_CONDITION_SERVICES),
    AfterValidator(_distinct),
]
Tags = Annotated[
    list[Tag], Field(min_length=1, max_length=MAX_CONDITION_TAGS), AfterValidator(_distinct)
]
MinTotal = Annotated[MoneyAmount, Field(ge=0)]


class OfferConditions(RequestModel):
    """All the conditions given must hold for the offer to apply to a booking."""

    service_ids: ServiceIds | None = Field(
        default=None,
        description="The booking holds one of these services; the discount is on them only",
    )
    min_total: MinTotal | None = Field(
        default=None,
        description="The booking's subtotal is at least this, in the business currency",
    )
    customer_tags: Tags | None = Field(
        default=None, description="The customer has ANY of these tags"
    )

    def stored(self) -> dict[str, Any]:
        """The JSON kept in ``offers.conditions``: only the conditions given."""
        return self.model_dump(mode="json", exclude_none=True)


class OfferCreate(RequestModel):
    name: Name
    description: Description | None = None
    discount_percent: Percent
    valid_from: Instant
    valid_until: Instant
    is_active: StrictBool = True
    max_uses_total: UseLimit | None = None
    max_uses_per_customer: UseLimit | None = None
    conditions: OfferConditions = Field(default_factory=OfferConditions)

    @model_validator(mode="after")
    def _window_ordered(self) -> OfferCreate:
        if self.valid_from >= self.valid_until:
            raise ValueError("valid_from must be earlier than valid_until")
        return self


class OfferUpdate(PartialUpdate):
    """Only the fields sent change. Once the offer has been handed out, its terms
    (``discount_percent``, ``valid_from``, ``conditions``) are fixed; the end of the
    window, the limits, the wording and ``is_active`` may still change."""

    CLEARABLE = frozenset({"description", "max_uses_total", "max_uses_per_customer"})

    name: Name | None = None
    description: Description | None = None
    discount_percent: Percent | None = None
    valid_from: Instant | None = None
    valid_until: Instant | None = None
    is_active: StrictBool | None = None
    max_uses_total: UseLimit | None = None
    max_uses_per_customer: UseLimit | None = None
    conditions: OfferConditions | None = None


class OfferRead(ResponseModel):
    id: uuid.UUID
    name: str
    description: str | None
    discount_percent: PercentRead
    valid_from: datetime
    valid_until: datetime
    is_active: bool
    max_uses_total: int | None
    max_uses_per_customer: int | None
    uses_count: int = Field(description="Uses on bookings not cancelled and not given back")
    conditions: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class CustomerOfferRead(ResponseModel):
    """One copy of an offer, handed to one customer."""

    id: uuid.UUID
    offer_id: uuid.UUID
    customer_id: uuid.UUID
    status: str = Field(description="available, used, expired or revoked")
    used_at: datetime | None
    booking_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class OwnConditions(ResponseModel):
    service_ids: list[uuid.UUID] | None = None
    min_total: MoneyAmount | None = None


class OfferTerms(ResponseModel):
    """What a customer is told about an offer they hold."""

    offer_id: uuid.UUID
    name: str
    description: str | None
    discount_percent: PercentRead
    valid_from: datetime
    valid_until: datetime
    conditions: OwnConditions


class OwnOfferRead(ResponseModel):
    id: uuid.UUID = Field(description="The customer offer's id: apply it with this")
    status: str
    offer: OfferTerms
    created_at: datetime


class HandOutToCustomers(RequestModel):
    customer_ids: Annotated[
        list[uuid.UUID],
        Field(min_length=1, max_length=MAX_HAND_OUT),
        AfterValidator(_distinct),
    ]
    notify: StrictBool = Field(
        default=False, description="Email the customers who accept marketing emails"
    )


class HandOutToAudience(RequestModel):
    rule: AudienceRule
    notify: StrictBool = Field(
        default=False, description="Email the customers who accept marketing emails"
    )


class HandOutRead(ResponseModel):
    matched: int = Field(description="Live customers named or matched by the rule")
    handed_out: int = Field(description="New available copies")
    emailed: int = Field(description="Emails queued (marketing consent and an address)")


class ApplyOffer(RequestModel):
    booking_id: uuid.UUID


class AppliedOfferRead(ResponseModel):
    customer_offer: CustomerOfferRead
    booking_id: uuid.UUID
    discount: MoneyAmount
    subtotal: MoneyAmount
    total: MoneyAmount
    currency: str


class DiscountGiven(ResponseModel):
    currency: str
    amount: MoneyAmount
    bookings: int


class OfferStats(ResponseModel):
    offer_id: uuid.UUID
    uses_count: int
    max_uses_total: int | None
    handed_out: int = Field(description="Copies ever handed out, whatever their status")
    by_status: dict[str, int] = Field(description="available, used, expired, revoked")
    discount_given: list[DiscountGiven] = Field(
        description="Discounts on bookings not cancelled, per currency"
    )
