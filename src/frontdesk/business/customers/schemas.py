"""Customer profiles as staff create, change, search and read them."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from frontdesk.business.customers.referral_codes import MAX_INPUT_LENGTH
from frontdesk.core.schemas import PartialUpdate, RequestModel, ResponseModel

MAX_TAGS = 20
MAX_PREFERENCES_BYTES = 4096
# The preference that holds marketing consent (ads, offer emails): only true allows them.
MARKETING_CONSENT_KEY = "marketing"

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[EmailStr, Field(max_length=320)]
Phone = Annotated[
    str, Field(pattern=r"^\+?[0-9 ()./-]{3,32}$", description="e.g. +33 6 12 34 56 78")
]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Notes = Annotated[str, Field(max_length=5000)]


def _distinct(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


def _small(preferences: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(preferences, ensure_ascii=False).encode()) > MAX_PREFERENCES_BYTES:
        raise ValueError(f"preferences hold at most {MAX_PREFERENCES_BYTES} bytes of JSON")
    return preferences


def _marketing_is_a_yes_or_no(preferences: dict[str, Any]) -> dict[str, Any]:
    # Marketing consent is opt-in and the rewards layer reads it as "is JSON true":
    # a "yes" string or a 1 would look like consent to a person and not to the code.
    consent = preferences.get(MARKETING_CONSENT_KEY)
    if MARKETING_CONSENT_KEY in preferences and not isinstance(consent, bool):
        raise ValueError(f'preferences["{MARKETING_CONSENT_KEY}"] is true or false')
    return preferences


Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_distinct)]
Preferences = Annotated[
    dict[str, Any],
    AfterValidator(_small),
    AfterValidator(_marketing_is_a_yes_or_no),
    Field(description='Free-form; "marketing": true opts in to ads and offer emails'),
]
ReferralCodeInput = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_INPUT_LENGTH,
        description="Another customer's referral code (case, spaces and hyphens ignored)",
    ),
]


class CustomerCreate(RequestModel):
    name: Name
    email: Email | None = None
    phone: Phone | None = None
    tags: Tags = Field(default_factory=list)
    notes: Notes | None = None
    preferences: Preferences = Field(default_factory=dict)
    referred_by: ReferralCodeInput | None = None


class CustomerUpdate(PartialUpdate):
    """Only the fields sent change; ``email``, ``phone`` and ``notes`` may be cleared."""

    CLEARABLE = frozenset({"email", "phone", "notes"})

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    tags: Tags | None = None
    notes: Notes | None = None
    preferences: Preferences | None = None


class CustomerRead(ResponseModel):
    id: uuid.UUID
    user_id: uuid.UUID | None
    name: str
    email: str | None
    phone: str | None
    tags: list[str]
    notes: str | None
    preferences: dict[str, Any]
    loyalty_points: int
    referral_code: str | None
    anonymized_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, customer: Any) -> CustomerRead:
        contact = customer.contact_info or {}
        return cls(
            id=customer.id,
            user_id=customer.user_id,
            name=customer.name,
            email=contact.get("email"),
            phone=contact.get("phone"),
            tags=customer.tags or [],
            notes=customer.notes,
            preferences=customer.preferences or {},
            loyalty_points=customer.loyalty_points,
            referral_code=customer.referral_code,
            anonymized_at=customer.anonymized_at,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
        )


class OwnProfileCreate(RequestModel):
    """A profile a customer account adds for itself or its household (a child, a
    partner). Tags and notes are the business's, not the customer's to set."""

    name: Name
    email: Email | None = None
    phone: Phone | None = None
    preferences: Preferences = Field(default_factory=dict)
    referred_by: ReferralCodeInput | None = None


class OwnProfileUpdate(PartialUpdate):
    CLEARABLE = frozenset({"email", "phone"})

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    preferences: Preferences | None = None


class OwnProfileRead(ResponseModel):
    """What a customer sees of its own profiles: no staff notes or tags."""

    id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    preferences: dict[str, Any]
    loyalty_points: int
    referral_code: str | None
    created_at: datetime

    @classmethod
    def of(cls, customer: Any) -> OwnProfileRead:
        contact = customer.contact_info or {}
        return cls(
            id=customer.id,
            name=customer.name,
            email=contact.get("email"),
            phone=contact.get("phone"),
            preferences=customer.preferences or {},
            loyalty_points=customer.loyalty_points,
            referral_code=customer.referral_code,
            created_at=customer.created_at,
        )
