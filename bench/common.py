"""Small pieces shared by the harness modules: the failure types and progress output."""

from __future__ import annotations

import sys
from collections.abc import Mapping


class BenchError(Exception):
    """Something the benchmark needs is missing or misbehaving; the message says what."""


class ScenarioFailedError(BenchError):
    """A scenario ran but broke a rule it must keep (a status it must never answer, a
    double booking). The harness still prints its line, with ``fields`` and the reason,
    runs the remaining scenarios, and exits non-zero at the end."""

    def __init__(self, message: str, fields: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.fields: Mapping[str, object] = fields or {}


def say(message: str) -> None:
    """Progress goes to stderr; stdout carries only the JSON result lines."""
    print(f"bench: {message}", file=sys.stderr, flush=True)
