from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.core.money import MAX_MONEY, MONEY_QUANTUM, to_money


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
