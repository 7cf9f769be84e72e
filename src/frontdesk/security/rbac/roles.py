"""The system roles and what each is granted by default.

``docs/rbac.md`` carries the same matrix as a table (``frontdesk rbac table`` prints it);
a test keeps the two equal, and the route-matrix test checks every route against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from frontdesk.core.permissions import REGISTRY, PermissionDef

SECURITY_ADMINISTRATION = frozenset({"users", "sessions", "roles", "permissions", "audit_logs"})

RECEPTIONIST = frozenset(
    {
        "customers:read",
        "customers:create",
        "customers:update",
        "schedules:read",
        "bookings:read",
        "bookings:create",
        "bookings:update",
        "payments:read",
        "payments:create",
        "products:read",
        "loyalty:read",
        "offers:read",
    }
)
STAFF = frozenset(
    {
        "customers:read",
        "schedules:read",
        "bookings:read",
        "bookings:update",
        "products:read",
        "loyalty:read",
    }
)


@dataclass(frozen=True)
class SystemRole:
    name: str
    description: str
    grants: Callable[[PermissionDef], bool]


SYSTEM_ROLES = (
    SystemRole("admin", "Everything, including security administration", lambda p: True),
    SystemRole(
        "manager",
        "Runs the business: everything but security administration",
        lambda p: p.resource not in SECURITY_ADMINISTRATION,
    ),
    SystemRole(
        "receptionist",
        "The desk: customers, bookings and payments",
        lambda p: p.name in RECEPTIONIST,
    ),
    SystemRole(
        "staff",
        "Serves customers: own schedule, the customers and bookings they serve",
        lambda p: p.name in STAFF,
    ),
    SystemRole("customer", "Self-service through ownership of own profiles", lambda p: False),
)
SYSTEM_ROLE_NAMES = tuple(role.name for role in SYSTEM_ROLES)


def default_matrix() -> dict[str, frozenset[str]]:
    """Permission name -> the system roles granted it by default."""
    return {
        name: frozenset(role.name for role in SYSTEM_ROLES if role.grants(definition))
        for name, definition in sorted(REGISTRY.items())
    }


def matrix_table(matrix: dict[str, frozenset[str]]) -> str:
    """The Markdown table of ``docs/rbac.md``."""
    header = "| permission | " + " | ".join(SYSTEM_ROLE_NAMES) + " |"
    rule = "|---|" + "---|" * len(SYSTEM_ROLE_NAMES)
    rows = [
        f"| `{name}` | "
        + " | ".join("yes" if role in roles else "-" for role in SYSTEM_ROLE_NAMES)
        + " |"
        for name, roles in sorted(matrix.items())
    ]
    return "\n".join([header, rule, *rows])


def parse_matrix_table(markdown: str) -> dict[str, frozenset[str]]:
    """Read the table back (the tests read docs/rbac.md through this)."""
    matrix: dict[str, frozenset[str]] = {}
    columns: list[str] = []
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 2:
            continue
        if cells[0] == "permission":
            columns = cells[1:]
        elif columns and cells[0].startswith("`"):
            matrix[cells[0].strip("`")] = frozenset(
                role for role, cell in zip(columns, cells[1:], strict=True) if cell == "yes"
            )
    return matrix
