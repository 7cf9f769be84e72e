"""What this domain does when the business layer publishes an event."""

from __future__ import annotations

from frontdesk.core.events import EventBus


def subscribe(bus: EventBus) -> None:
    """Subscribe this domain's handlers; subscribing twice is harmless."""
