"""The ``points`` payment provider: paying a booking's balance with loyalty points."""

from __future__ import annotations


def register() -> None:
    """Plug the provider into the business layer's payment providers (at start-up)."""
