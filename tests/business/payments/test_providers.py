"""Providers: the registry, a provider plugged in from outside (as the rewards layer will
for points), and a provider that fails half-way leaving no trace (SECURITY.md 21)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.payments import providers
from frontdesk.business.payments.models import PaymentTransaction
from frontdesk.business.payments.providers import ProviderCall
from tests.business.payments.conftest import NewBooking
from tests.business.payments.support import NOTHING, move, ok, pay, points_served_by, refund, stored
from tests.security.audit.callers import Caller


@dataclass
class PointsProvider:
    """A stand-in for the rewards layer's provider: records what it is asked."""

    name: str = "points"
    methods: frozenset[str] = frozenset({"points"})
    supports_authorization: bool = False
    fail_on: str | None = None
    calls: list[tuple[str, ProviderCall]] = field(default_factory=list)

    async def _hook(self, hook: str, session: AsyncSession, call: ProviderCall) -> str | None:
        assert session.in_transaction()  # the request's own transaction
        # The row is already in the database (flushed) when a provider is called.
        written = select(func.count()).where(PaymentTransaction.id == call.payment_id)
        assert await session.scalar(written) == 1
        self.calls.append((hook, call))
        if hook == self.fail_on:
            raise providers.PaymentRefusedError("Not enough points.")
        return f"PTS-{hook}-{len(self.calls)}"

    async def authorize(self, session: AsyncSession, call: ProviderCall) -> str | None:
        return await self._hook("authorize", session, call)

    async def capture(self, session: AsyncSession, call: ProviderCall) -> str | None:
        return await self._hook("capture", session, call)

    async def void(self, session: AsyncSession, call: ProviderCall) -> str | None:
        return await self._hook("void", session, call)

    async def refund(self, session: AsyncSession, call: ProviderCall) -> str | None:
        return await self._hook("refund", session, call)


@pytest.fixture
def points() -> Iterator[PointsProvider]:
    provider = PointsProvider()
    with points_served_by(provider):
        yield provider


def test_the_shipped_providers_cover_every_method_but_points() -> None:
    assert isinstance(providers.TERMINAL, providers.PaymentProvider)
    assert providers.provider_for("card") is providers.TERMINAL
    for method in ("cash", "gift_card", "other"):
        assert providers.provider_for(method) is providers.MANUAL
    with points_served_by(None), pytest.raises(providers.PaymentMethodUnavailableError):
        providers.provider_for("points")


def test_a_method_is_served_by_one_provider() -> None:
    with pytest.raises(ValueError, match="already served"):
        providers.register_provider(PointsProvider(methods=frozenset({"cash"})))
    with pytest.raises(ValueError, match="unknown payment methods"):
        providers.register_provider(PointsProvider(methods=frozenset({"bitcoin"})))
    providers.register_provider(providers.MANUAL)  # again: harmless
    assert providers.provider_for("cash") is providers.MANUAL


def test_replace_takes_a_method_over_and_unregister_gives_it_back() -> None:
    gateway = PointsProvider(name="gateway", methods=frozenset({"card"}))
    providers.register_provider(gateway, replace=True)
    try:
        assert providers.provider_for("card") is gateway
    finally:
        providers.unregister_provider(gateway)
        providers.register_provider(providers.TERMINAL)
    assert providers.provider_for("card") is providers.TERMINAL


async def test_a_registered_provider_takes_payments_and_refunds(
    client: httpx.AsyncClient, admin: Caller, new_booking: NewBooking, points: PointsProvider
) -> None:
    booking = await new_booking("50.00")
    paid = ok(await pay(client, admin, booking, "20", method="points"))
    assert (paid["status"], paid["external_reference"]) == ("captured", "PTS-capture-1")
    back = ok(await refund(client, admin, paid["id"], "5"))
    assert back["external_reference"] == "PTS-refund-2"
    hook, call = points.calls[1]
    assert (hook, str(call.original_id), call.original_reference) == (
        "refund",
        paid["id"],
        "PTS-capture-1",
    )
    assert str(call.payment_id) == back["id"]


@pytest.mark.parametrize("hook", ["capture", "refund"])
async def test_a_provider_failing_half_way_leaves_no_trace(
    client: httpx.AsyncClient,
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    points: PointsProvider,
    hook: str,
) -> None:
    """The row is written and flushed before the provider is called; the provider's
    refusal rolls all of it back, and the key is given back for a retry."""
    booking = await new_booking("50.00")
    before = NOTHING
    target = None
    if hook == "refund":
        target = ok(await pay(client, admin, booking, "20", method="points"))
        before = await stored(db)
    points.fail_on = hook
    if target is None:
        response = await pay(client, admin, booking, "20", method="points", key="k-1")
    else:
        response = await refund(client, admin, target["id"], "5", key="k-1")
    assert (response.status_code, response.json()["code"]) == (422, "payment_refused")
    assert points.calls[-1][0] == hook  # called, with the row written (checked inside)
    assert await stored(db) == before


async def test_a_failed_hold_is_released_through_the_provider(
    client: httpx.AsyncClient, admin: Caller, new_booking: NewBooking, points: PointsProvider
) -> None:
    """Points held for a payment that then fails go back like a void's would."""
    points.supports_authorization = True
    booking = await new_booking("50.00")
    held = ok(await pay(client, admin, booking, "20", method="points", capture=False))
    assert held["status"] == "authorized"
    failed = ok(await move(client, admin, held["id"], "fail"), 200)
    assert failed["status"] == "failed"
    assert [hook for hook, _call in points.calls] == ["authorize", "void"]
