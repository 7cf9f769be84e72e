"""What a reward costs, what it gives, and where its voucher applies.

A reward's ``conditions`` JSON is always one :class:`Conditions` (unknown keys are a
422), and its ``type``, ``value`` and conditions must make sense together
(:func:`check_terms`); the server adds the ``currency`` its money is measured in (the
business currency when the terms were written), never the client.

| type | value | needs | the voucher takes off |
|---|---|---|---|
| ``discount_amount`` | > 0, the currency's decimals | | ``value`` off the eligible lines |
| ``discount_percent`` | 0 < v <= 100, 2 decimals | | ``value`` % of the eligible lines |
| ``free_service`` | 0 (or left out) | ``service_id`` | one unit of that service's line |
| ``free_product`` | 0 (or left out) | ``product_id`` | one unit of that product's line |

``service_ids`` (discount types only) narrows the eligible lines to those services and
makes a booking without one of them ineligible; ``min_booking_total`` is compared with
the booking's subtotal; ``valid_days`` is a voucher's lifetime from its redemption.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, StrictInt, field_validator

from frontdesk.business.orders.pricing import DiscountKind, DiscountRule
from frontdesk.core.errors import ValidationFailedError
from frontdesk.core.money import fits_currency, format_amount
from frontdesk.core.schemas import MoneyAmount, RequestModel

MAX_POINTS_COST = 1_000_000  # one ledger movement's limit
MAX_VALID_DAYS = 3650
MAX_ELIGIBLE_SERVICES = 50
HUNDRED = Decimal(100)
DISCOUNT_TYPES = frozenset({"discount_amount", "discount_percent"})


class Conditions(RequestModel):
    """The ``conditions`` of a reward, as clients send them."""

    points_cost: Annotated[StrictInt, Field(ge=1, le=MAX_POINTS_COST)]
    service_ids: (
        Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_ELIGIBLE_SERVICES)] | None
    ) = Field(default=None, description="Discounts only: the services it applies to")
    service_id: uuid.UUID | None = Field(default=None, description="free_service: the service")
    product_id: uuid.UUID | None = Field(default=None, description="free_product: the product")
    min_booking_total: Annotated[MoneyAmount, Field(ge=0)] | None = Field(
        default=None, description="The booking's subtotal must be at least this"
    )
    valid_days: Annotated[StrictInt, Field(ge=1, le=MAX_VALID_DAYS)] | None = Field(
        default=None, description="A voucher expires this many days after redemption; never if null"
    )

    @field_validator("service_ids")
    @classmethod
    def _distinct(cls, ids: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
        if ids is not None and len(set(ids)) != len(ids):
            raise ValueError("each service at most once")
        return ids


class StoredConditions(Conditions):
    """The stored form: the client's conditions and the currency of their money."""

    currency: str | None = None

    @classmethod
    def of(cls, reward_conditions: dict[str, Any]) -> StoredConditions:
        return cls.model_validate(reward_conditions)

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def _invalid(path: str, message: str) -> ValidationFailedError:
    return ValidationFailedError(
        f"The reward's terms do not fit: {message}.", path=path, message=message
    )


def check_terms(kind: str, value: Decimal, conditions: Conditions, currency: str) -> None:
    """Refuse (422, with the path of the field at fault) terms that do not fit together."""
    _check_value(kind, value, currency)
    found = {
        "service_ids": conditions.service_ids is not None,
        "service_id": conditions.service_id is not None,
        "product_id": conditions.product_id is not None,
    }
    allowed = {
        "discount_amount": "service_ids",
        "discount_percent": "service_ids",
        "free_service": "service_id",
        "free_product": "product_id",
    }[kind]
    for name, present in found.items():
        if present and name != allowed:
            raise _invalid(f"body.conditions.{name}", f"not used by a {kind} reward")
    if kind in {"free_service", "free_product"} and not found[allowed]:
        raise _invalid(f"body.conditions.{allowed}", f"required for a {kind} reward")
    total = conditions.min_booking_total
    if total is not None and not fits_currency(total, currency):
        raise _invalid("body.conditions.min_booking_total", f"more decimals than {currency} has")


def _check_value(kind: str, value: Decimal, currency: str) -> None:
    if kind == "discount_percent" and not (
        0 < value <= HUNDRED and value == value.quantize(Decimal("0.01"))
    ):
        raise _invalid("body.value", "a percentage above 0, at most 100, 2 decimals")
    if kind == "discount_amount" and not (value > 0 and fits_currency(value, currency)):
        raise _invalid("body.value", f"an amount above 0 with at most {currency}'s decimals")
    if kind in {"free_service", "free_product"} and value != 0:
        raise _invalid("body.value", f"a {kind} reward has no value; leave it out")


def discount_rule(kind: str, value: Decimal, conditions: StoredConditions) -> DiscountRule:
    """What a voucher of this reward takes off a booking (``orders.pricing``)."""
    minimum = conditions.min_booking_total
    if kind == "free_service":
        assert conditions.service_id is not None  # check_terms
        service = frozenset({conditions.service_id})
        return DiscountRule("free_item", service_ids=service, min_subtotal=minimum)
    if kind == "free_product":
        assert conditions.product_id is not None  # check_terms
        product = frozenset({conditions.product_id})
        return DiscountRule("free_item", product_ids=product, min_subtotal=minimum)
    scope = frozenset(conditions.service_ids or ())
    rule_kind: DiscountKind = "percent" if kind == "discount_percent" else "amount"
    return DiscountRule(rule_kind, value, scope, min_subtotal=minimum)


def unmet(
    kind: str,
    conditions: StoredConditions,
    *,
    subtotal: Decimal,
    currency: str,
    service_ids: Collection[uuid.UUID],
    product_ids: Collection[uuid.UUID],
) -> str | None:
    """Why a booking (its subtotal, currency and the services and products on its lines)
    is not eligible, or None when it is."""
    money_terms = kind == "discount_amount" or conditions.min_booking_total is not None
    if money_terms and conditions.currency not in (None, currency):
        return f"The reward is in {conditions.currency}; this booking is in {currency}."
    wanted = set(conditions.service_ids or ())
    if conditions.service_id is not None:
        wanted.add(conditions.service_id)
    if wanted and not wanted & set(service_ids):
        return "The booking has none of the reward's services."
    if conditions.product_id is not None and conditions.product_id not in product_ids:
        return "The booking does not include the reward's product."
    minimum = conditions.min_booking_total
    if minimum is not None and subtotal < minimum:
        return f"The booking's subtotal is below {format_amount(minimum, currency)} {currency}."
    return None


# The terms a voucher is bought on: frozen once a reward has vouchers (the price in
# points and the voucher lifetime apply to future redemptions only, so they may change).
TERMS = ("type", "value", "service_ids", "service_id", "product_id", "min_booking_total")
