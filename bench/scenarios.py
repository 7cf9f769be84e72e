"""What gets measured. Add a frontdesk scenario by appending to SCENARIOS (see README)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class BenchContext:
    """What a setup hook may use to prepare a scenario against the running server."""

    base_url: str  # e.g. http://127.0.0.1:43121 (no trailing slash)
    database_url: str  # the bench database, postgresql+asyncpg://... (FRONTDESK_DATABASE_URL)
    bin_dir: Path  # the venv's bin directory (frontdesk, alembic, ...)
    env: Mapping[str, str]  # the environment the server runs with


# A setup hook runs once before the warm-up and returns extra request headers
# (e.g. {"Authorization": "Bearer ..."}); return {} when none are needed.
SetupHook = Callable[[BenchContext], Mapping[str, str]]


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str  # request path, starting with "/"
    headers: Mapping[str, str] = field(default_factory=dict)
    setup: SetupHook | None = None

    def prepare(self, context: BenchContext) -> dict[str, str]:
        """The headers to send: the fixed ones plus whatever the setup hook returns."""
        extra = self.setup(context) if self.setup is not None else {}
        return {**self.headers, **extra}


# Served by bench/reference_app.py; measured first, every other scenario is compared with it.
REFERENCE = Scenario(name="reference", path="/ref/42")

# Served by frontdesk, measured in this order after the reference.
SCENARIOS: list[Scenario] = [
    Scenario(name="healthz", path="/healthz"),
    Scenario(name="readyz", path="/readyz"),
]
