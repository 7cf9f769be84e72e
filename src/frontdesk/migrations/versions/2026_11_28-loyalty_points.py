"""loyalty points: earning settings, the money behind a movement, one earn per booking

The business's earning rules (points per currency unit, expiry in months; both 0 = off),
the amount and currency a ledger row was computed from (an earn's net captured amount is
what a later refund's reversal is measured against), and a partial unique index so a
booking earns at most once.

Revision ID: 2026_11_28_0009
Revises: 2026_11_28_0008
Create Date: 2026-11-28 16:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.core.types

revision: str = "2026_11_28_0009"
down_revision: str | Sequence[str] | None = "2026_11_28_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EARN_ONLY = "reason = 'earn'"


def upgrade() -> None:
    # Plain ADD COLUMN (with a default) on both engines: no table rebuild on SQLite.
    op.add_column(
        "business_settings",
        sa.Column(
            "points_per_currency_unit",
            frontdesk.core.types.ExactDecimal(precision=18, scale=4),
            server_default="0",
            nullable=False,
        ),
    )
    op.add_column(
        "business_settings",
        sa.Column("points_expiry_months", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "loyalty_transactions",
        sa.Column(
            "amount", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=True
        ),
    )
    op.add_column("loyalty_transactions", sa.Column("currency", sa.String(length=3), nullable=True))
    op.create_index(
        "uq_loyalty_transactions_earn_booking_id",
        "loyalty_transactions",
        ["booking_id"],
        unique=True,
        postgresql_where=sa.text(EARN_ONLY),
        sqlite_where=sa.text(EARN_ONLY),
    )


def downgrade() -> None:
    op.drop_index("uq_loyalty_transactions_earn_booking_id", table_name="loyalty_transactions")
    with op.batch_alter_table("loyalty_transactions") as batch_op:
        batch_op.drop_column("currency")
        batch_op.drop_column("amount")
    with op.batch_alter_table("business_settings") as batch_op:
        batch_op.drop_column("points_expiry_months")
        batch_op.drop_column("points_per_currency_unit")
