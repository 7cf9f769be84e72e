"""In-process domain events.

A lower layer publishes ("booking.paid"); a higher layer subscribes at start-up. Handlers
run in the publisher's session, inside its transaction, so the event's effects commit
or roll back together with the change that caused it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class DomainEvent:
    name: str
    payload: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[AsyncSession, DomainEvent], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, name: str, handler: Handler) -> None:
        if handler not in self._handlers[name]:
            self._handlers[name].append(handler)

    def unsubscribe(self, name: str, handler: Handler) -> None:
        """Remove one handler (tests that listen for a while); unknown ones are ignored."""
        handlers = self._handlers.get(name, [])
        if handler in handlers:
            handlers.remove(handler)

    def clear(self) -> None:
        self._handlers.clear()

    async def publish(self, session: AsyncSession, event: DomainEvent) -> None:
        """Run every handler in subscription order; an error aborts the whole unit of work."""
        for handler in tuple(self._handlers.get(event.name, ())):
            await handler(session, event)


bus = EventBus()
