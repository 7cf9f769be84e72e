"""seed the system roles and the permission list

Revision ID: 2026_11_28_0002
Revises: 2026_11_28_0001
Create Date: 2026-11-28 09:30:00+00:00

A frozen snapshot of the permission registry as it stood when this revision was
written; later revisions add what later code declares.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from uuid_utils.compat import uuid7

from frontdesk.core.types import UTCDateTime

revision: str = "2026_11_28_0002"
down_revision: str | Sequence[str] | None = "2026_11_28_0001d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERMISSIONS = (
    ("ads", "manage", "Manage advertisements and read their statistics"),
    ("audit_logs", "read", "Read the audit log"),
    ("audit_logs", "verify", "Verify the audit log's hash chain"),
    ("bookings", "create", "Book for any customer"),
    ("bookings", "override", "Cancel or reschedule past the cutoff"),
    ("bookings", "read", "View bookings and their timeline"),
    ("bookings", "update", "Move bookings through their lifecycle"),
    ("customers", "create", "Create customer profiles"),
    ("customers", "erase", "Pseudonymize a customer's personal data"),
    ("customers", "export", "Export everything held about a customer"),
    ("customers", "read", "Search and view customer profiles"),
    ("customers", "update", "Change customer profiles"),
    ("inventory", "adjust", "Restock and adjust stock"),
    ("loyalty", "adjust", "Adjust a customer's points with a reason"),
    ("loyalty", "read", "View customers' points and history"),
    ("offers", "manage", "Create offers and hand them to customers"),
    ("offers", "read", "View offers and their statistics"),
    ("payments", "create", "Record and capture payments"),
    ("payments", "export", "Export payments for accounting"),
    ("payments", "read", "View payments"),
    ("payments", "refund", "Refund payments"),
    ("permissions", "grant", "Assign roles and grant direct permissions"),
    ("permissions", "read", "List permissions and effective permissions"),
    ("products", "manage", "Create and change products"),
    ("products", "read", "View products and stock"),
    ("referrals", "read", "View referrals"),
    ("rewards", "manage", "Manage the rewards catalogue"),
    ("roles", "manage", "Create, change and deactivate roles and their grants"),
    ("roles", "read", "List roles and their permissions"),
    ("schedules", "manage", "Change staff hours, services and time off"),
    ("schedules", "read", "View staff hours, time off and calendars"),
    ("services", "manage", "Create and change bookable services"),
    ("sessions", "read_any", "List any user's sessions and session logs"),
    ("sessions", "revoke_any", "Revoke any user's sessions"),
    ("settings", "manage", "Change business settings"),
    ("users", "create", "Create staff accounts"),
    ("users", "read", "List and view user accounts"),
    ("users", "update", "Update and deactivate user accounts"),
)

SECURITY_ADMINISTRATION = {"users", "sessions", "roles", "permissions", "audit_logs"}

ROLES: dict[str, tuple[str, set[str]]] = {
    "admin": ("Everything, including security administration", {"*"}),
    "manager": ("Runs the business: everything but security administration", {"-security"}),
    "receptionist": (
        "The desk: customers, bookings and payments",
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
        },
    ),
    "staff": (
        "Serves customers: own schedule, the customers and bookings they serve",
        {
            "customers:read",
            "schedules:read",
            "bookings:read",
            "bookings:update",
            "products:read",
            "loyalty:read",
        },
    ),
    "customer": ("Self-service through ownership of own profiles", set()),
}

roles_table = sa.table(
    "roles",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("description", sa.String()),
    sa.column("is_active", sa.Boolean()),
    sa.column("is_system", sa.Boolean()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
permissions_table = sa.table(
    "permissions",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("resource", sa.String()),
    sa.column("action", sa.String()),
    sa.column("description", sa.String()),
    sa.column("created_at", UTCDateTime()),
)
role_permissions_table = sa.table(
    "role_permissions",
    sa.column("role_id", sa.Uuid()),
    sa.column("permission_id", sa.Uuid()),
    sa.column("created_at", UTCDateTime()),
)


def _granted(rule: set[str], name: str) -> bool:
    if "*" in rule:
        return True
    if "-security" in rule:
        return name.split(":", 1)[0] not in SECURITY_ADMINISTRATION
    return name in rule


def upgrade() -> None:
    now = datetime.now(UTC)
    permission_ids = {f"{resource}:{action}": uuid7() for resource, action, _ in PERMISSIONS}
    op.bulk_insert(
        permissions_table,
        [
            {
                "id": permission_ids[f"{resource}:{action}"],
                "name": f"{resource}:{action}",
                "resource": resource,
                "action": action,
                "description": description,
                "created_at": now,
            }
            for resource, action, description in PERMISSIONS
        ],
    )
    grants: list[dict[str, object]] = []
    role_rows: list[dict[str, object]] = []
    for name, (description, rule) in ROLES.items():
        role_id = uuid7()
        role_rows.append(
            {
                "id": role_id,
                "name": name,
                "description": description,
                "is_active": True,
                "is_system": True,
                "created_at": now,
                "updated_at": now,
            }
        )
        grants.extend(
            {"role_id": role_id, "permission_id": permission_id, "created_at": now}
            for permission, permission_id in permission_ids.items()
            if _granted(rule, permission)
        )
    op.bulk_insert(roles_table, role_rows)
    op.bulk_insert(role_permissions_table, grants)


def downgrade() -> None:
    system_roles = sa.select(roles_table.c.id).where(roles_table.c.name.in_(list(ROLES)))
    op.execute(
        role_permissions_table.delete().where(role_permissions_table.c.role_id.in_(system_roles))
    )
    op.execute(roles_table.delete().where(roles_table.c.name.in_(list(ROLES))))
    names = [f"{resource}:{action}" for resource, action, _ in PERMISSIONS]
    op.execute(permissions_table.delete().where(permissions_table.c.name.in_(names)))
