from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.core.money import (
    MAX_MONEY,
    MONEY_QUANTUM,
    currency_exponent,
    format_amount,
    to_money,
)


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError, match="never float"):
        to_money(0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "abc"])
def test_non_finite_or_garbage_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match=r"finite|not a decimal"):
        to_money(value)


def test_excess_precision_is_refused_not_rounded() -> None:
    with pytest.raises(ValueError, match="decimal places"):
        to_money("0.00001")


def test_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        to_money(MAX_MONEY + 1)


@given(
    st.decimals(
        min_value=-MAX_MONEY, max_value=MAX_MONEY, places=4, allow_nan=False, allow_infinity=False
    )
)
def test_every_representable_amount_survives_exactly(amount: Decimal) -> None:
    assert to_money(amount) == amount
    assert to_money(str(amount)) == amount
    assert to_money(amount).as_tuple().exponent == MONEY_QUANTUM.as_tuple().exponent


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        ("12.5", "EUR", "12.50"),
        ("1200", "JPY", "1200"),
        ("0.125", "BHD", "0.125"),
        ("-3.1", "USD", "-3.10"),
        ("7.25", "XYZ", "7.25"),  # unknown: its own digits, nothing invented
    ],
)
def test_amounts_are_shown_with_the_currencys_decimals(
    value: str, currency: str, shown: str
) -> None:
    assert format_amount(Decimal(value), currency) == shown


def test_currency_exponents_are_iso_4217() -> None:
    assert [currency_exponent(code) for code in ("EUR", "JPY", "KWD")] == [2, 0, 3]
    with pytest.raises(KeyError):
        currency_exponent("EURO")
