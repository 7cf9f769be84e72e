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
    these services or products; with both empty, every line. With ``min_subtotal`` the
    discount holds only while the booking's subtotal (every line) reaches it: a
    minimum-spend offer lapses when lines are taken off below it, and returns with them."""

    kind: DiscountKind
    value: Decimal = ZERO
    service_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    product_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    min_subtotal: Decimal | None = None

    def __post_init__(self) -> None:
        if self.kind not in DISCOUNT_KINDS:
            raise ValueError(f"unknown discount kind {self.kind!r}")
        if self.value < 0 or (self.kind == "percent" and self.value > HUNDRED):
            raise ValueError(f"a {self.kind} discount of {self.value} is out of range")
        if self.min_subtotal is not None and self.min_subtotal < 0:
            raise ValueError(f"a discount's minimum subtotal of {self.min_subtotal} is negative")

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "value": _text(self.value),
            "service_ids": sorted(str(i) for i in self.service_ids),
            "product_ids": sorted(str(i) for i in self.product_ids),
        }
        if self.min_subtotal is not None:
            data["min_subtotal"] = _text(self.min_subtotal)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DiscountRule:
        return cls(
            kind=data["kind"],
            value=Decimal(data["value"]),
            service_ids=frozenset(uuid.UUID(i) for i in data.get("service_ids", ())),
            product_ids=frozenset(uuid.UUID(i) for i in data.get("product_ids", ())),
            min_subtotal=Decimal(data["min_subtotal"]) if "min_subtotal" in data else None,
        )


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


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
    more than the lines in scope add up to; nothing below the rule's minimum subtotal."""
    lines = list(lines)
    subtotal = sum((line.line_total for line in lines), ZERO)
    if rule.min_subtotal is not None and subtotal < rule.min_subtotal:
        return ZERO
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
