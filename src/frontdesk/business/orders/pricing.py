"""What a discount rule takes off a booking's lines: pure arithmetic, no database.

A booking carries at most one discount, kept as its rule (``bookings.discount_rule``) so
the amount is recomputed whenever the lines change: 10 % of a booking stays 10 % after a
product is added, and a free service disappears with the service line.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from frontdesk.core.money import currency_exponent

DiscountKind = Literal["percent", "amount", "free_item"]
DISCOUNT_KINDS: tuple[DiscountKind, ...] = ("percent", "amount", "free_item")
ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class DiscountRule:
    """``percent``: ``value`` % of the lines in scope, rounded half up to the currency's
    decimals; ``amount``: ``value`` off the lines in scope, never more than they add up
    to; ``free_item``: one unit of the dearest line in scope. The scope is the lines of
    these services or products; with both empty, every line."""

    kind: DiscountKind
    value: Decimal = ZERO
    service_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    product_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.kind not in DISCOUNT_KINDS:
            raise ValueError(f"unknown discount kind {self.kind!r}")
        if self.value < 0 or (self.kind == "percent" and self.value > HUNDRED):
            raise ValueError(f"a {self.kind} discount of {self.value} is out of range")

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": format(self.value.normalize(), "f"),
            "service_ids": sorted(str(i) for i in self.service_ids),
            "product_ids": sorted(str(i) for i in self.product_ids),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DiscountRule:
        return cls(
            kind=data["kind"],
            value=Decimal(data["value"]),
            service_ids=frozenset(uuid.UUID(i) for i in data.get("service_ids", ())),
            product_ids=frozenset(uuid.UUID(i) for i in data.get("product_ids", ())),
        )


@dataclass(frozen=True)
class Line:
    """What pricing needs of a booking line."""

    service_id: uuid.UUID | None
    product_id: uuid.UUID | None
    unit_price: Decimal
    line_total: Decimal


def _in_scope(rule: DiscountRule, line: Line) -> bool:
    if not rule.service_ids and not rule.product_ids:
        return True
    return (line.service_id is not None and line.service_id in rule.service_ids) or (
        line.product_id is not None and line.product_id in rule.product_ids
    )


def discount_for(rule: DiscountRule, lines: Iterable[Line], currency: str) -> Decimal:
    """The discount ``rule`` gives on ``lines``: exact, in the currency's decimals, never
    more than the lines in scope add up to."""
    scoped = [line for line in lines if _in_scope(rule, line)]
    base = sum((line.line_total for line in scoped), ZERO)
    if rule.kind == "percent":
        step = Decimal(1).scaleb(-currency_exponent(currency))
        off = (base * rule.value / HUNDRED).quantize(step, rounding=ROUND_HALF_UP)
    elif rule.kind == "amount":
        off = rule.value
    else:
        off = max((line.unit_price for line in scoped), default=ZERO)
    return min(off, base)
