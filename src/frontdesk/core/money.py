"""Exact money: :class:`~decimal.Decimal` only, never float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MONEY_SCALE = 4  # digits kept after the point: covers 0-, 2- and 3-digit currencies exactly
MONEY_PRECISION = 18  # the scaled integer must fit SQLite's signed 64 bits
MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)
MAX_MONEY = Decimal(10) ** (MONEY_PRECISION - MONEY_SCALE) - MONEY_QUANTUM


def to_money(value: Decimal | int | str) -> Decimal:
    """Coerce to an exact amount; refuse floats, NaN, infinities and excess precision."""
    if isinstance(value, float | bool):
        raise TypeError("money must be a Decimal, int or decimal string, never float")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError("money must be a finite amount")
    if amount != amount.quantize(MONEY_QUANTUM, rounding="ROUND_HALF_EVEN"):
        raise ValueError(f"money has more than {MONEY_SCALE} decimal places: {value!r}")
    if abs(amount) > MAX_MONEY:
        raise ValueError("money amount is out of range")
    return amount.quantize(MONEY_QUANTUM)
