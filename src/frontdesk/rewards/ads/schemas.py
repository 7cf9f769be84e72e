"""Advertisements as staff write them and customers see them, impressions, and stats.

An ad is plain text: ``title`` one line, ``content`` a few paragraphs, neither ever
interpreted as markup (control characters other than new lines and tabs are refused).
``link_url`` is an absolute ``https`` URL without credentials. ``target_audience`` is an
:class:`~frontdesk.rewards.marketing.audience.AudienceRule`: unknown keys and bad values
answer 422 at their path (``body.target_audience.min_points``).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    HttpUrl,
    PlainSerializer,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from frontdesk.core.schemas import Instant, PartialUpdate, RequestModel, ResponseModel
from frontdesk.rewards.marketing.audience import AudienceRule

MAX_TITLE = 200
MAX_CONTENT = 2000
MAX_URL = 2000
MAX_VIEWS_PER_DAY = 1000  # a cap above this is no cap; null means the default

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # all but \t and \n
_LINE_BREAK = re.compile(r"[\t\n]")
_URL = TypeAdapter(HttpUrl)


def _plain_text(text: str) -> str:
    if _CONTROL.search(text.replace("\r\n", "\n")):
        raise ValueError("control characters are not allowed")
    return text.replace("\r\n", "\n")


def _one_line(text: str) -> str:
    if _LINE_BREAK.search(text):
        raise ValueError("must be one line")
    return text


def _https_url(text: str) -> str:
    try:
        url = _URL.validate_python(text)
    except ValidationError:
        raise ValueError("must be an absolute URL") from None
    if url.scheme != "https":
        raise ValueError("must be an https URL")
    if url.username or url.password:
        raise ValueError("must not carry a user name or password")
    return str(url)


Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE),
    AfterValidator(_plain_text),
    AfterValidator(_one_line),
]
Content = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CONTENT),
    AfterValidator(_plain_text),
]
LinkUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=MAX_URL),
    AfterValidator(_https_url),
    Field(description="An absolute https URL", examples=["https://example.com/spring"]),
]
ViewsPerDay = Annotated[
    StrictInt,
    Field(
        ge=1,
        le=MAX_VIEWS_PER_DAY,
        description="Impressions per customer per rolling 24 hours; null: the default (3)",
    ),
]


class AdCreate(RequestModel):
    title: Title
    content: Content
    link_url: LinkUrl | None = None
    target_audience: AudienceRule = Field(
        default_factory=AudienceRule, description="Who sees it; {} is every customer"
    )
    is_active: bool = True
    starts_at: Instant | None = Field(default=None, description="Default: now")
    ends_at: Instant | None = Field(default=None, description="Default: never")
    max_views_per_day: ViewsPerDay | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AdCreate:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be later than starts_at")
        return self


class AdUpdate(PartialUpdate):
    """Only the fields sent change; ``link_url``, ``ends_at`` and ``max_views_per_day``
    may be cleared with null. A new ``target_audience`` replaces the old one whole."""

    CLEARABLE = frozenset({"link_url", "ends_at", "max_views_per_day"})

    title: Title | None = None
    content: Content | None = None
    link_url: LinkUrl | None = None
    target_audience: AudienceRule | None = None
    is_active: bool | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    max_views_per_day: ViewsPerDay | None = None


class AdRead(ResponseModel):
    id: uuid.UUID
    title: str
    content: str
    link_url: str | None
    target_audience: dict[str, Any]
    is_active: bool
    starts_at: datetime
    ends_at: datetime | None
    max_views_per_day: int | None
    views_per_day: int = Field(description="The cap in force: max_views_per_day or the default")
    created_at: datetime
    updated_at: datetime


class OwnAdRead(ResponseModel):
    """An ad as the customer it is shown to sees it: no targeting, no schedule."""

    id: uuid.UUID
    title: str
    content: str
    link_url: str | None
    views_left: int = Field(description="Impressions left under the cap in the last 24 hours")


class OwnAds(ResponseModel):
    customer_id: uuid.UUID = Field(description="The profile the ads were chosen for")
    items: list[OwnAdRead]


class ImpressionCreate(RequestModel):
    customer_id: uuid.UUID | None = Field(
        default=None, description="One of my profiles; default: my oldest"
    )


class ImpressionRead(ResponseModel):
    id: uuid.UUID
    ad_id: uuid.UUID
    customer_id: uuid.UUID
    viewed_at: datetime
    clicked: bool
    clicked_at: datetime | None


# Click-through rate: an exact decimal with 4 places, as a string ("0.2500").
Rate = Annotated[Decimal, PlainSerializer(lambda rate: f"{rate:.4f}", return_type=str)]


class Figures(ResponseModel):
    impressions: int
    unique_viewers: int
    clicks: int
    click_through_rate: Rate = Field(description="clicks / impressions, 4 places; 0 if none")


class DayFigures(Figures):
    day: date = Field(description="A UTC day")


class AdStats(ResponseModel):
    ad_id: uuid.UUID
    from_day: date = Field(serialization_alias="from")
    to_day: date = Field(serialization_alias="to")
    days: list[DayFigures]
    totals: Figures = Field(description="The whole range; unique viewers counted once")
