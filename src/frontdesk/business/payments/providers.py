"""Payment providers: who actually moves the money for a payment method.

The rules (states, amounts, refunds never above the capture, idempotency) live in the
service and never change per provider; a provider only performs or confirms the money
movement. The service calls a hook after the row is written and before the move is
final, inside the request's transaction, so a provider that raises leaves no row, no
timeline entry and no audit row behind.

Providers are registered per payment method. A higher layer plugs in its own at
start-up (the rewards layer's ``points`` provider) through :func:`register_provider`,
so this layer never imports it. A method with no provider answers 422
``payment_method_unavailable``.

Shipped here:

- ``terminal`` (card): the card was taken on an external payment terminal; staff record
  the terminal's reference, required for authorizing or capturing.
- ``manual`` (cash, gift_card, other): money counted at the desk. Gift cards are manual
  for now: staff check the card's balance on whatever system issued it.

An online gateway would implement the same four hooks, pass ``call.payment_id`` to the
gateway as its own idempotency key, and return the gateway's reference.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.payments.models import PAYMENT_METHODS
from frontdesk.core.errors import AppError, ValidationFailedError, register_code

METHOD_UNAVAILABLE = register_code(
    "payment_method_unavailable", 422, "No provider accepts this payment method"
)
AUTHORIZATION_UNSUPPORTED = register_code(
    "authorization_not_supported", 422, "This payment method cannot be authorized only"
)
PAYMENT_REFUSED = register_code("payment_refused", 422, "The payment provider refused")


class PaymentMethodUnavailableError(AppError):
    error = METHOD_UNAVAILABLE


class AuthorizationUnsupportedError(AppError):
    error = AUTHORIZATION_UNSUPPORTED


class PaymentRefusedError(AppError):
    """A provider declines (card declined, gateway refusal); nothing is stored."""

    error = PAYMENT_REFUSED


@dataclass(frozen=True)
class ProviderCall:
    """What a hook is told. For a refund, ``payment_id`` is the refund's own row and
    ``original_id`` / ``original_reference`` describe the payment being refunded."""

    payment_id: uuid.UUID
    booking_id: uuid.UUID
    customer_id: uuid.UUID | None
    method: str
    amount: Decimal
    currency: str
    external_reference: str | None
    original_id: uuid.UUID | None = None
    original_reference: str | None = None


@runtime_checkable
class PaymentProvider(Protocol):
    """Each hook returns the external reference to keep on the row (None: keep what
    staff typed) or raises an :class:`AppError` (e.g. :class:`PaymentRefusedError`).
    Hooks get the request's session so a provider whose money lives in this database
    (points) moves it in the same transaction."""

    name: str
    methods: frozenset[str]
    supports_authorization: bool  # can hold money now and capture it later

    async def authorize(self, session: AsyncSession, call: ProviderCall) -> str | None: ...

    async def capture(self, session: AsyncSession, call: ProviderCall) -> str | None: ...

    async def void(self, session: AsyncSession, call: ProviderCall) -> str | None: ...

    async def refund(self, session: AsyncSession, call: ProviderCall) -> str | None: ...


def _reference_required(call: ProviderCall) -> str:
    if not call.external_reference:
        raise ValidationFailedError(
            "A card payment needs the terminal's reference.",
            path="body.external_reference",
            message="required for card payments taken on a terminal",
        )
    return call.external_reference


class TerminalProvider:
    """Card payments taken on an external terminal; frontdesk records what happened."""

    name = "terminal"
    methods = frozenset({"card"})
    supports_authorization = True  # a pre-authorization (hold) on the terminal

    async def authorize(self, session: AsyncSession, call: ProviderCall) -> str | None:
        return _reference_required(call)

    async def capture(self, session: AsyncSession, call: ProviderCall) -> str | None:
        return _reference_required(call)

    async def void(self, session: AsyncSession, call: ProviderCall) -> str | None:
        return None

    async def refund(self, session: AsyncSession, call: ProviderCall) -> str | None:
        # The terminal's refund slip reference, when staff typed one; optional because
        # some terminals print none for a refund.
        return None


class ManualProvider:
    """Cash, gift cards and anything else counted at the desk: nothing to call."""

    name = "manual"
    methods = frozenset({"cash", "gift_card", "other"})
    supports_authorization = False  # cash is in the drawer or it is not

    async def authorize(self, session: AsyncSession, call: ProviderCall) -> str | None:
        raise AuthorizationUnsupportedError(f"A {call.method} payment cannot be held.")

    async def capture(self, session: AsyncSession, call: ProviderCall) -> str | None:
        return None

    async def void(self, session: AsyncSession, call: ProviderCall) -> str | None:
        return None

    async def refund(self, session: AsyncSession, call: ProviderCall) -> str | None:
        return None


_BY_METHOD: dict[str, PaymentProvider] = {}


def register_provider(provider: PaymentProvider, *, replace: bool = False) -> None:
    """Serve ``provider.methods`` with ``provider``. Registering the same provider again
    is harmless; taking a method from another provider needs ``replace=True``."""
    unknown = set(provider.methods) - set(PAYMENT_METHODS)
    if unknown:
        raise ValueError(f"unknown payment methods {sorted(unknown)}; known: {PAYMENT_METHODS}")
    for method in provider.methods:
        current = _BY_METHOD.get(method)
        if current is not None and current is not provider and not replace:
            raise ValueError(f"{method!r} is already served by the {current.name!r} provider")
    for method in provider.methods:
        _BY_METHOD[method] = provider


def unregister_provider(provider: PaymentProvider) -> None:
    for method in provider.methods:
        if _BY_METHOD.get(method) is provider:
            del _BY_METHOD[method]


def provider_for(method: str) -> PaymentProvider:
    provider = _BY_METHOD.get(method)
    if provider is None:
        raise PaymentMethodUnavailableError(
            f"No payment provider accepts {method!r} payments here.", method=method
        )
    return provider


TERMINAL = TerminalProvider()
MANUAL = ManualProvider()
register_provider(TERMINAL)
register_provider(MANUAL)
