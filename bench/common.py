"""Small pieces shared by the harness modules: the failure type and progress output."""

from __future__ import annotations

import sys


class BenchError(Exception):
    """Something the benchmark needs is missing or misbehaving; the message says what."""


def say(message: str) -> None:
    """Progress goes to stderr; stdout carries only the JSON result lines."""
    print(f"bench: {message}", file=sys.stderr, flush=True)
