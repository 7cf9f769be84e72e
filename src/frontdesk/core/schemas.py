"""Building blocks for request and response schemas.

Request models forbid unknown fields (no mass assignment), refuse NaN and infinities,
and take only timezone-aware datetimes; money travels as an exact decimal string.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
)

from frontdesk.core.money import MAX_MONEY, MONEY_SCALE, to_money


class RequestModel(BaseModel):
    """Base of every request body."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_max_length=10_000)


class PartialUpdate(RequestModel):
    """A PATCH body: only the fields sent change, and a ``null`` clears a field only if
    the subclass lists it in ``CLEARABLE`` (otherwise it is ignored)."""

    CLEARABLE: ClassVar[frozenset[str]] = frozenset()

    def changes(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in self.model_dump(exclude_unset=True).items()
            if value is not None or name in self.CLEARABLE
        }


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# An instant with an offset; stored and returned in UTC. A naive value is a 422.
Instant = Annotated[AwareDatetime, AfterValidator(_as_utc)]

# An exact amount: accepts "12.50" or 12.5 in JSON, never loses a digit, answers a string.
MoneyAmount = Annotated[
    Decimal,
    Field(
        max_digits=MONEY_SCALE + 14,
        decimal_places=MONEY_SCALE,
        allow_inf_nan=False,
        ge=-MAX_MONEY,
        le=MAX_MONEY,
    ),
    AfterValidator(to_money),
    PlainSerializer(lambda amount: format(amount.normalize(), "f"), return_type=str),
]
