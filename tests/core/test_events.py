from __future__ import annotations

from typing import Any

import pytest

from frontdesk.core.events import DomainEvent, EventBus


async def test_handlers_run_in_subscription_order_with_the_session() -> None:
    bus = EventBus()
    seen: list[tuple[str, Any]] = []

    async def first(session: Any, event: DomainEvent) -> None:
        seen.append(("first", session))

    async def second(session: Any, event: DomainEvent) -> None:
        seen.append(("second", event.payload["booking_id"]))

    bus.subscribe("booking.paid", first)
    bus.subscribe("booking.paid", second)
    bus.subscribe("booking.paid", first)  # idempotent
    await bus.publish("the-session", DomainEvent("booking.paid", {"booking_id": 7}))  # type: ignore[arg-type]
    assert seen == [("first", "the-session"), ("second", 7)]


async def test_a_failing_handler_fails_the_publisher() -> None:
    bus = EventBus()

    async def broken(session: Any, event: DomainEvent) -> None:
        raise RuntimeError("handler failed")

    bus.subscribe("booking.paid", broken)
    with pytest.raises(RuntimeError, match="handler failed"):
        await bus.publish(None, DomainEvent("booking.paid"))  # type: ignore[arg-type]


async def test_events_nobody_listens_to_are_fine() -> None:
    await EventBus().publish(None, DomainEvent("nothing.happened"))  # type: ignore[arg-type]
