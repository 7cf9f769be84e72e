"""business name and address

The trading name and address printed on receipts; the name starts as "frontdesk" until
an admin sets it.

Revision ID: 2026_11_28_0007
Revises: 2026_11_28_0006
Create Date: 2026-11-28 15:15:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_28_0007"
down_revision: str | Sequence[str] | None = "2026_11_28_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (with a default) on both engines: no table rebuild on SQLite.
    op.add_column(
        "business_settings",
        sa.Column(
            "business_name", sa.String(length=200), server_default="frontdesk", nullable=False
        ),
    )
    op.add_column(
        "business_settings", sa.Column("business_address", sa.String(length=500), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("business_settings") as batch_op:
        batch_op.drop_column("business_address")
        batch_op.drop_column("business_name")
