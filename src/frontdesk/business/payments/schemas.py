"""Payments as the API takes and shows them.

Amounts arrive as JSON strings of plain decimal notation ("12.50") or whole integers:
a JSON number with a fraction is parsed as a float before validation and may already
have lost a digit, and exponents ("1e3"), signs, NaN and infinities are refused rather
than interpreted. Every refusal is a 422 before anything is stored.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field, PlainSerializer, PlainValidator, WithJsonSchema

from frontdesk.business.payments.models import PAYMENT_METHODS
from frontdesk.core.money import MAX_MONEY, MONEY_SCALE
from frontdesk.core.schemas import MoneyAmount, RequestModel, ResponseModel

_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,40}(\.[0-9]{1,40})?")


def _amount(value: object) -> Decimal:
    if isinstance(value, bool | float):
        raise ValueError('send the amount as a decimal string, e.g. "12.50"')
    if isinstance(value, int | Decimal):
        value = str(value)
    if not isinstance(value, str) or not _PLAIN_DECIMAL.fullmatch(value):
        raise ValueError('a plain decimal string such as "12.50": no exponent, sign or spaces')
    amount = Decimal(value)
    if amount <= 0:
        raise ValueError("must be greater than zero")
    if amount > MAX_MONEY:
        raise ValueError(f"must be at most {MAX_MONEY}")
    if amount != amount.quantize(Decimal(1).scaleb(-MONEY_SCALE)):
        raise ValueError(f"at most {MONEY_SCALE} decimals")
    return amount


# A positive amount, exact; the currency's own decimals are checked by the service.
PaymentAmount = Annotated[
    Decimal,
    PlainValidator(_amount),
    PlainSerializer(lambda amount: format(amount.normalize(), "f"), return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"},
                {"type": "integer", "minimum": 1},
            ],
            "description": "A plain decimal string (or a whole number): no float, exponent or sign",
            "examples": ["12.50"],
        },
        mode="validation",
    ),
]
PaymentMethod = Literal["cash", "card", "gift_card", "points", "other"]
assert get_args(PaymentMethod) == PAYMENT_METHODS  # one list of methods, the table's
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. EUR")]

_CARD_LIKE = re.compile(r"[0-9]{13,19}")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _reference(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    # SECURITY.md 23: no card data anywhere; a reference that reads as a card number
    # (13-19 digits passing the Luhn check) is refused before it reaches a log.
    if any(_luhn(run) for run in _CARD_LIKE.findall(re.sub(r"[ -]", "", value))):
        raise ValueError("looks like a card number; record the terminal's reference instead")
    if not value.isprintable():
        raise ValueError("printable characters only")
    return value


Reference = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_reference)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


class PaymentCreate(RequestModel):
    amount: PaymentAmount
    currency: CurrencyCode = Field(description="Must be the booking's currency")
    method: PaymentMethod = Field(
        description="cash, card, gift_card, points or other; points needs its provider"
    )
    external_reference: Reference | None = Field(
        default=None, description="The terminal's or gateway's reference; required for card"
    )
    capture: bool = Field(
        default=True,
        description="Capture now (the default), or only authorize (a hold; card only)",
    )


class PaymentMove(RequestModel):
    reason: Reason | None = None


class RefundCreate(RequestModel):
    amount: PaymentAmount
    reason: Reason | None = None
    currency: CurrencyCode | None = Field(
        default=None, description="The payment's currency (the default)"
    )
    external_reference: Reference | None = Field(
        default=None, description="The terminal's refund reference, if any"
    )


class PaymentRead(ResponseModel):
    id: uuid.UUID
    booking_id: uuid.UUID
    customer_id: uuid.UUID | None
    kind: str
    status: str
    method: str
    amount: MoneyAmount
    currency: str
    refund_of_id: uuid.UUID | None
    external_reference: str | None
    created_at: datetime
    updated_at: datetime
    refunded: MoneyAmount | None = Field(
        default=None, description="Payments: how much of it was refunded so far"
    )
    refundable: MoneyAmount | None = Field(
        default=None, description="Payments: how much can still be refunded"
    )


class PaymentSummary(ResponseModel):
    """The money of one booking. ``balance_due`` = ``total`` - ``net``; negative when
    the booking's total fell below what was paid (the difference is owed back)."""

    booking_id: uuid.UUID
    currency: str
    total: MoneyAmount
    paid: MoneyAmount = Field(description="Sum of captured payments")
    refunded: MoneyAmount = Field(description="Sum of refunds")
    net: MoneyAmount = Field(description="paid - refunded")
    balance_due: MoneyAmount
    authorized: MoneyAmount = Field(description="Held (authorized) but not captured yet")


class BookingPayments(ResponseModel):
    summary: PaymentSummary
    transactions: list[PaymentRead]
