"""The payment rules that need no database: the transition table and amount checks.

A payment row moves only along :data:`TRANSITIONS`; anything else is a 409
``invalid_transition`` (the booking lifecycle's code, so clients handle one).

| action    | from                 | to         | provider hook                  |
|-----------|----------------------|------------|--------------------------------|
| authorize | pending              | authorized | authorize                      |
| capture   | pending, authorized  | captured   | capture                        |
| void      | authorized           | voided     | void                           |
| fail      | pending, authorized  | failed     | none; void from authorized     |

A failed hold is released like a voided one (the ``void`` hook), so a provider whose
money lives in this database (points) never keeps it reserved for a dead payment.

``pending`` is the state a row is written in while its provider is called; recording a
payment then moves it on in the same transaction (``capture`` straight from pending for
cash and terminal payments, or ``authorize``). ``captured``, ``failed`` and ``voided``
are final. Refunds are rows of their own (``kind = refund``, ``status = refunded``,
also final), written against a captured payment; the captured row itself never changes,
so how much of it was refunded is always the sum of its refund rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from frontdesk.business.orders.lifecycle import InvalidTransitionError
from frontdesk.core.errors import ConflictError, ValidationFailedError, register_code
from frontdesk.core.money import CURRENCY_EXPONENTS, MAX_MONEY, fits_currency

FINAL_STATUSES = frozenset({"captured", "failed", "voided", "refunded"})
# Bookings that take no new money (refunds stay possible).
UNPAYABLE_BOOKINGS = frozenset({"cancelled"})
# Payments and refunds one booking may carry: keeps its list one bounded page.
MAX_TRANSACTIONS_PER_BOOKING = 100

EXCEEDS_BALANCE = register_code(
    "amount_exceeds_balance_due", 409, "The amount is more than the booking still owes"
)
EXCEEDS_CAPTURED = register_code(
    "refund_exceeds_captured", 409, "The refund is more than what is left to refund"
)
NOT_PAYABLE = register_code("booking_not_payable", 409, "This booking takes no payments")
TOO_MANY = register_code(
    "too_many_transactions", 409, "This booking has reached its number of transactions"
)


class ExceedsBalanceError(ConflictError):
    error = EXCEEDS_BALANCE


class ExceedsCapturedError(ConflictError):
    error = EXCEEDS_CAPTURED


class NotPayableError(ConflictError):
    error = NOT_PAYABLE


class TooManyTransactionsError(ConflictError):
    error = TOO_MANY


@dataclass(frozen=True)
class Move:
    hooks: dict[str, str | None]  # allowed source state -> the provider hook to call
    target: str
    event: str

    @property
    def sources(self) -> frozenset[str]:
        return frozenset(self.hooks)


TRANSITIONS: dict[str, Move] = {
    "authorize": Move({"pending": "authorize"}, "authorized", "payment.authorized"),
    "capture": Move(
        {"pending": "capture", "authorized": "capture"}, "captured", "payment.captured"
    ),
    "void": Move({"authorized": "void"}, "voided", "payment.voided"),
    "fail": Move({"pending": None, "authorized": "void"}, "failed", "payment.failed"),
}
REFUNDABLE = frozenset({"captured"})


def check_move(kind: str, status: str, action: str) -> Move:
    """The move ``action`` from ``status``, or 409 ``invalid_transition``."""
    move = TRANSITIONS[action]
    if kind != "payment" or status not in move.sources:
        what = "refund" if kind == "refund" else f"{status} payment"
        raise InvalidTransitionError(
            f"A {what} cannot be moved by {action}.", status=status, action=action
        )
    return move


def check_refundable(kind: str, status: str) -> None:
    if kind != "payment" or status not in REFUNDABLE:
        what = "refund" if kind == "refund" else f"{status} payment"
        raise InvalidTransitionError(
            f"A {what} cannot be refunded; only a captured payment can.",
            status=status,
            action="refund",
        )


def check_amount(amount: Decimal, currency: str, expected: str) -> Decimal:
    """``amount`` in ``currency`` as the booking (``expected``) takes it, or a 422.

    The schema already refused what is not a positive, finite decimal within the
    column; here the currency decides how many decimals make an amount.
    """
    if currency not in CURRENCY_EXPONENTS:
        raise ValidationFailedError(
            f"{currency} is not an ISO 4217 currency.",
            path="body.currency",
            message="unknown currency code",
        )
    if currency != expected:
        raise ValidationFailedError(
            f"This booking is in {expected}, not {currency}.",
            path="body.currency",
            message=f"must be {expected}, the booking's currency",
        )
    if not fits_currency(amount, currency):
        raise ValidationFailedError(
            f"{currency} amounts have at most {CURRENCY_EXPONENTS[currency]} decimals.",
            path="body.amount",
            message=f"too many decimals for {currency}",
        )
    if not Decimal(0) < amount <= MAX_MONEY:
        raise ValidationFailedError(
            "The amount is out of range.", path="body.amount", message="out of range"
        )
    return amount
