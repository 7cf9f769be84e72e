"""The permission registry: each domain declares its ``resource:action`` pairs once.

The ``permissions`` table is brought in line with this registry by migrations (and,
later, an idempotent sync command); nothing else invents permission names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class PermissionDef:
    resource: str
    action: str
    description: str

    @property
    def name(self) -> str:
        return f"{self.resource}:{self.action}"


REGISTRY: dict[str, PermissionDef] = {}


def declare(resource: str, action: str, description: str) -> PermissionDef:
    definition = PermissionDef(resource, action, description)
    known = REGISTRY.get(definition.name)
    if known is not None and known != definition:
        raise ValueError(f"permission {definition.name} declared twice differently")
    REGISTRY[definition.name] = definition
    return definition
