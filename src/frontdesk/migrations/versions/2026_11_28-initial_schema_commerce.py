"""initial schema, 3 of 4: the business layer's products, bookings and payments

Revision ID: 2026_11_28_0001c
Revises: 2026_11_28_0001b
Create Date: 2026-11-28 08:47:28+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import frontdesk.core.types

revision: str = "2026_11_28_0001c"
down_revision: str | Sequence[str] | None = "2026_11_28_0001b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "price", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("stock_quantity", sa.Integer(), nullable=False),
        sa.Column("reorder_level", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price >= 0", name=op.f("ck_products_price_non_negative")),
        sa.CheckConstraint(
            "reorder_level >= 0", name=op.f("ck_products_reorder_level_non_negative")
        ),
        sa.CheckConstraint("stock_quantity >= 0", name=op.f("ck_products_stock_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("sku", name=op.f("uq_products_sku")),
    )
    op.create_index(op.f("ix_products_category"), "products", ["category"], unique=False)
    op.create_table(
        "bookings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("appointment_id", sa.Uuid(), nullable=True),
        sa.Column("booking_date", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "subtotal", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column(
            "discount", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column(
            "total", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("customer_offer_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('online', 'desk')", name=op.f("ck_bookings_source_valid")),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'completed', 'cancelled', 'no_show')",
            name=op.f("ck_bookings_status_valid"),
        ),
        sa.CheckConstraint(
            "subtotal >= 0 AND discount >= 0 AND total >= 0",
            name=op.f("ck_bookings_amounts_non_negative"),
        ),
        sa.CheckConstraint(
            "total = subtotal - discount", name=op.f("ck_bookings_total_is_subtotal_less_discount")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_bookings_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_bookings_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_bookings_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_bookings_appointment_id")),
    )
    op.create_index(
        op.f("ix_bookings_customer_id_booking_date"),
        "bookings",
        ["customer_id", "booking_date"],
        unique=False,
    )
    op.create_index(
        op.f("ix_bookings_status_booking_date"),
        "bookings",
        ["status", "booking_date"],
        unique=False,
    )
    op.create_index(op.f("ix_bookings_user_id"), "bookings", ["user_id"], unique=False)
    op.create_table(
        "booking_items",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "unit_price", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column(
            "line_total", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'service' AND service_id IS NOT NULL AND product_id IS NULL) OR (kind = 'product' AND product_id IS NOT NULL AND service_id IS NULL)",
            name=op.f("ck_booking_items_kind_matches_reference"),
        ),
        sa.CheckConstraint(
            "kind IN ('service', 'product')", name=op.f("ck_booking_items_kind_valid")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_booking_items_quantity_positive")),
        sa.CheckConstraint(
            "unit_price >= 0 AND line_total >= 0",
            name=op.f("ck_booking_items_amounts_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_booking_items_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_booking_items_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_booking_items_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_items")),
    )
    op.create_index(
        op.f("ix_booking_items_booking_id"), "booking_items", ["booking_id"], unique=False
    )
    op.create_index(
        op.f("ix_booking_items_product_id"), "booking_items", ["product_id"], unique=False
    )
    op.create_table(
        "inventory_logs",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("timestamp", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("stock_after", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('restock', 'sale', 'return', 'adjustment', 'damage')",
            name=op.f("ck_inventory_logs_action_valid"),
        ),
        sa.CheckConstraint("quantity <> 0", name=op.f("ck_inventory_logs_quantity_non_zero")),
        sa.CheckConstraint(
            "stock_after >= 0", name=op.f("ck_inventory_logs_stock_after_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_inventory_logs_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_inventory_logs_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_inventory_logs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_logs")),
    )
    op.create_index(
        op.f("ix_inventory_logs_booking_id"), "inventory_logs", ["booking_id"], unique=False
    )
    op.create_index(
        op.f("ix_inventory_logs_product_id_timestamp"),
        "inventory_logs",
        ["product_id", "timestamp"],
        unique=False,
    )
    op.create_table(
        "order_events",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column(
            "event_data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_order_events_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["bookings.id"],
            name=op.f("fk_order_events_order_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    op.create_index(
        op.f("ix_order_events_order_id_created_at"),
        "order_events",
        ["order_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "payment_transactions",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column(
            "amount", frontdesk.core.types.ExactDecimal(precision=18, scale=4), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payment_method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("refund_of_id", sa.Uuid(), nullable=True),
        sa.Column("external_reference", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", frontdesk.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'refund') = (refund_of_id IS NOT NULL)",
            name=op.f("ck_payment_transactions_refund_has_original"),
        ),
        sa.CheckConstraint(
            "kind IN ('payment', 'refund')", name=op.f("ck_payment_transactions_kind_valid")
        ),
        sa.CheckConstraint(
            "payment_method IN ('cash', 'card', 'gift_card', 'points', 'other')",
            name=op.f("ck_payment_transactions_payment_method_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'authorized', 'captured', 'failed', 'voided', 'refunded', 'partially_refunded')",
            name=op.f("ck_payment_transactions_status_valid"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_transactions_amount_positive")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_payment_transactions_booking_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_payment_transactions_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["refund_of_id"],
            ["payment_transactions.id"],
            name=op.f("fk_payment_transactions_refund_of_id_payment_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_transactions")),
    )
    op.create_index(
        op.f("ix_payment_transactions_booking_id_created_at"),
        "payment_transactions",
        ["booking_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_payment_transactions_customer_id"),
        "payment_transactions",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_payment_transactions_refund_of_id"),
        "payment_transactions",
        ["refund_of_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_transactions_refund_of_id"), table_name="payment_transactions")
    op.drop_index(op.f("ix_payment_transactions_customer_id"), table_name="payment_transactions")
    op.drop_index(
        op.f("ix_payment_transactions_booking_id_created_at"), table_name="payment_transactions"
    )
    op.drop_table("payment_transactions")
    op.drop_index(op.f("ix_order_events_order_id_created_at"), table_name="order_events")
    op.drop_table("order_events")
    op.drop_index(op.f("ix_inventory_logs_product_id_timestamp"), table_name="inventory_logs")
    op.drop_index(op.f("ix_inventory_logs_booking_id"), table_name="inventory_logs")
    op.drop_table("inventory_logs")
    op.drop_index(op.f("ix_booking_items_product_id"), table_name="booking_items")
    op.drop_index(op.f("ix_booking_items_booking_id"), table_name="booking_items")
    op.drop_table("booking_items")
    op.drop_index(op.f("ix_bookings_user_id"), table_name="bookings")
    op.drop_index(op.f("ix_bookings_status_booking_date"), table_name="bookings")
    op.drop_index(op.f("ix_bookings_customer_id_booking_date"), table_name="bookings")
    op.drop_table("bookings")
    op.drop_index(op.f("ix_products_category"), table_name="products")
    op.drop_table("products")
