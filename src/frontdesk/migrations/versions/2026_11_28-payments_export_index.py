"""payments export index

The CSV export walks payment_transactions by (created_at, id) in keyset batches; this
index makes each batch a range scan instead of a scan of every payment.

Revision ID: 2026_11_28_0008
Revises: 2026_11_28_0007
Create Date: 2026-11-28 15:50:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "2026_11_28_0008"
down_revision: str | Sequence[str] | None = "2026_11_28_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_payment_transactions_created_at_id"),
        "payment_transactions",
        ["created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_transactions_created_at_id"), table_name="payment_transactions")
