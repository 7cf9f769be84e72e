"""Listening to the in-process event bus for the length of a test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.events import DomainEvent, bus


@contextmanager
def listening(*names: str) -> Iterator[list[DomainEvent]]:
    """Every event of ``names`` published inside the block, in order."""
    seen: list[DomainEvent] = []

    async def record(_session: AsyncSession, event: DomainEvent) -> None:
        seen.append(event)

    for name in names:
        bus.subscribe(name, record)
    try:
        yield seen
    finally:
        for name in names:
            bus.unsubscribe(name, record)
