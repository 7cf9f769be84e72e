"""docs/rbac.md's table and the code's system-role defaults say the same thing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.catalog import PERMISSIONS
from frontdesk.security.rbac.models import Permission, Role, RolePermission
from frontdesk.security.rbac.roles import default_matrix, matrix_table, parse_matrix_table

DOC = Path(__file__).resolve().parents[3] / "docs" / "rbac.md"


def documented_matrix() -> dict[str, frozenset[str]]:
    return parse_matrix_table(DOC.read_text(encoding="utf-8"))


def test_the_documented_table_matches_the_code() -> None:
    documented = documented_matrix()
    expected = default_matrix()
    assert documented == expected, (
        "docs/rbac.md is out of date; regenerate its table with `frontdesk rbac table`"
    )


def test_every_declared_permission_is_in_the_table() -> None:
    assert set(documented_matrix()) == set(PERMISSIONS)


def test_admin_holds_everything_and_customers_nothing() -> None:
    matrix = documented_matrix()
    assert all("admin" in roles for roles in matrix.values())
    assert not any("customer" in roles for roles in matrix.values())


def test_the_table_round_trips() -> None:
    assert parse_matrix_table(matrix_table(default_matrix())) == default_matrix()


async def test_the_migrations_seed_exactly_the_documented_grants(session: AsyncSession) -> None:
    rows = await session.execute(
        select(Permission.name, Role.name)
        .join(RolePermission, RolePermission.permission_id == Permission.id)
        .join(Role, Role.id == RolePermission.role_id)
        .where(Role.is_system.is_(True))
    )
    seeded: dict[str, set[str]] = {name: set() for name in PERMISSIONS}
    for permission, role in rows:
        seeded[permission].add(role)
    assert {name: frozenset(roles) for name, roles in seeded.items()} == documented_matrix()
