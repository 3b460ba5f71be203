"""orders

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 09:07:40.808790
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_shipping_origin",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("primary", sa.Boolean(), server_default="false", nullable=False),
        sa.CheckConstraint(
            "kind IN ('LOGISTICS_CENTER', 'ORG_HUB', 'DEALER_HUB')",
            name=op.f("ck_order_shipping_origin_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_shipping_origin")),
        sa.UniqueConstraint("name", name=op.f("uq_order_shipping_origin_name")),
    )
    op.create_table(
        "order_cart",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_user.id"],
            name=op.f("fk_order_cart_user_id_identity_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_cart")),
        sa.UniqueConstraint("user_id", name=op.f("uq_order_cart_user_id")),
    )
    op.create_table(
        "order_order",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="PENDING", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("points_used", sa.Integer(), server_default="0", nullable=False),
        sa.Column("points_earned", sa.Integer(), server_default="0", nullable=False),
        sa.Column("payment_method", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "placed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('PENDING', 'PAID', 'COMPLETED', 'CANCELLED', 'REFUNDED', 'FAILED')",
            name=op.f("ck_order_order_status"),
        ),
        sa.CheckConstraint(
            "points_used >= 0 AND points_earned >= 0", name=op.f("ck_order_order_points")
        ),
        sa.CheckConstraint(
            "total_amount >= 0 AND subtotal_amount >= 0", name=op.f("ck_order_order_amounts")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["identity_user.id"], name=op.f("fk_order_order_user_id_identity_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_order")),
        sa.UniqueConstraint(
            "user_id", "idempotency_key", name=op.f("uq_order_order_user_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_order_order_user_placed", "order_order", ["user_id", "placed_at", "id"], unique=False
    )
    op.create_table(
        "order_origin_manager",
        sa.Column("origin_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["origin_id"],
            ["order_shipping_origin.id"],
            name=op.f("fk_order_origin_manager_origin_id_order_shipping_origin"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_user.id"],
            name=op.f("fk_order_origin_manager_user_id_identity_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("origin_id", "user_id", name=op.f("pk_order_origin_manager")),
    )
    op.create_index(
        op.f("ix_order_origin_manager_user_id"), "order_origin_manager", ["user_id"], unique=False
    )
    op.create_table(
        "order_points_account",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("balance", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "balance >= 0", name=op.f("ck_order_points_account_balance_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_user.id"],
            name=op.f("fk_order_points_account_user_id_identity_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_order_points_account")),
    )
    op.create_table(
        "order_points_entry",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_user.id"],
            name=op.f("fk_order_points_entry_user_id_identity_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_points_entry")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_order_points_entry_idempotency_key")),
    )
    op.create_index(
        op.f("ix_order_points_entry_user_id"), "order_points_entry", ["user_id"], unique=False
    )
    op.create_table(
        "order_notification",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["order_order.id"],
            name=op.f("fk_order_notification_order_id_order_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_notification")),
        sa.UniqueConstraint("order_id", "kind", name=op.f("uq_order_notification_order_id_kind")),
    )
    op.create_table(
        "order_payment",
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["order_order.id"],
            name=op.f("fk_order_payment_order_id_order_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_payment")),
    )
    op.create_table(
        "order_saga",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=12), server_default="RUNNING", nullable=False),
        sa.Column("step", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "data", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "next_run_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "state IN ('RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'FAILED')",
            name=op.f("ck_order_saga_state"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["order_order.id"],
            name=op.f("fk_order_saga_order_id_order_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_saga")),
        sa.UniqueConstraint(
            "order_id",
            "kind",
            "idempotency_key",
            name=op.f("uq_order_saga_order_id_kind_idempotency_key"),
        ),
    )
    op.create_index(op.f("ix_order_saga_order_id"), "order_saga", ["order_id"], unique=False)
    op.create_index(
        "ix_order_saga_runnable",
        "order_saga",
        ["next_run_at"],
        unique=False,
        postgresql_where=sa.text("state IN ('RUNNING', 'COMPENSATING')"),
    )
    op.create_table(
        "order_shipment",
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("origin_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="PREPARING", nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("line2", sa.String(length=200), server_default="", nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.CheckConstraint("country ~ '^[A-Z]{2}$'", name=op.f("ck_order_shipment_country")),
        sa.CheckConstraint(
            "char_length(recipient) BETWEEN 1 AND 100", name=op.f("ck_order_shipment_recipient")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["order_order.id"],
            name=op.f("fk_order_shipment_order_id_order_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["origin_id"],
            ["order_shipping_origin.id"],
            name=op.f("fk_order_shipment_origin_id_order_shipping_origin"),
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_shipment")),
    )
    op.create_table(
        "order_cart_line",
        sa.Column("cart_id", sa.UUID(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "quantity > 0 AND quantity <= 999", name=op.f("ck_order_cart_line_quantity")
        ),
        sa.ForeignKeyConstraint(
            ["cart_id"],
            ["order_cart.id"],
            name=op.f("fk_order_cart_line_cart_id_order_cart"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["catalog_variant.id"],
            name=op.f("fk_order_cart_line_variant_id_catalog_variant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cart_id", "variant_id", name=op.f("pk_order_cart_line")),
    )
    op.create_table(
        "order_line",
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("vendor_id", sa.UUID(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_line_quantity")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["order_order.id"],
            name=op.f("fk_order_line_order_id_order_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["catalog_variant.id"],
            name=op.f("fk_order_line_variant_id_catalog_variant"),
        ),
        sa.PrimaryKeyConstraint("order_id", "variant_id", name=op.f("pk_order_line")),
    )
    op.create_index(op.f("ix_order_line_vendor_id"), "order_line", ["vendor_id"], unique=False)
    op.create_table(
        "order_origin_stock",
        sa.Column("origin_id", sa.UUID(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "quantity >= 0", name=op.f("ck_order_origin_stock_quantity_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["origin_id"],
            ["order_shipping_origin.id"],
            name=op.f("fk_order_origin_stock_origin_id_order_shipping_origin"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["catalog_variant.id"],
            name=op.f("fk_order_origin_stock_variant_id_catalog_variant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("origin_id", "variant_id", name=op.f("pk_order_origin_stock")),
    )
    op.create_index(
        op.f("ix_order_origin_stock_variant_id"), "order_origin_stock", ["variant_id"], unique=False
    )
    op.create_table(
        "order_saga_step",
        sa.Column("saga_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=14), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="PENDING", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('PENDING', 'DONE', 'FAILED', 'COMPENSATED', 'SKIPPED')",
            name=op.f("ck_order_saga_step_status"),
        ),
        sa.ForeignKeyConstraint(
            ["saga_id"],
            ["order_saga.id"],
            name=op.f("fk_order_saga_step_saga_id_order_saga"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("saga_id", "position", name=op.f("pk_order_saga_step")),
    )

    op.add_column("catalog_inventory_ledger", sa.Column("origin_id", sa.UUID(), nullable=True))
    # ORD-7: the five logistics centres exist from the start; Icheon is where catalog-level
    # stock changes land. Existing catalog stock moves there before the roll-up trigger exists.
    op.execute(
        """
        INSERT INTO order_shipping_origin (id, kind, name, "primary") VALUES
          ('00000000-0000-4000-8000-000000000001', 'LOGISTICS_CENTER', 'Icheon Logistics Center', true),
          ('00000000-0000-4000-8000-000000000002', 'LOGISTICS_CENTER', 'Yongin Logistics Center', false),
          ('00000000-0000-4000-8000-000000000003', 'LOGISTICS_CENTER', 'Gimpo Logistics Center', false),
          ('00000000-0000-4000-8000-000000000004', 'LOGISTICS_CENTER', 'Busan Logistics Center', false),
          ('00000000-0000-4000-8000-000000000005', 'LOGISTICS_CENTER', 'Daejeon Logistics Center', false)
        """
    )
    op.execute(
        """
        INSERT INTO order_origin_stock (origin_id, variant_id, quantity)
        SELECT '00000000-0000-4000-8000-000000000001', id, stock FROM catalog_variant WHERE stock > 0
        """
    )
    # catalog_variant.stock is the sum of the variant's stock over every origin, kept by the
    # database in the same transaction as any origin stock change.
    op.execute(
        """
        CREATE FUNCTION order_origin_stock_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE catalog_variant SET stock = stock + NEW.quantity WHERE id = NEW.variant_id;
            ELSIF TG_OP = 'UPDATE' THEN
                UPDATE catalog_variant SET stock = stock + NEW.quantity - OLD.quantity WHERE id = NEW.variant_id;
            ELSE
                UPDATE catalog_variant SET stock = stock - OLD.quantity WHERE id = OLD.variant_id;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER order_origin_stock_rollup AFTER INSERT OR UPDATE OF quantity OR DELETE
            ON order_origin_stock FOR EACH ROW EXECUTE FUNCTION order_origin_stock_rollup()
        """
    )
    op.execute(
        "CREATE TRIGGER order_points_entry_append_only BEFORE UPDATE OR DELETE ON order_points_entry "
        "FOR EACH ROW EXECUTE FUNCTION append_only_refuse_change()"
    )


def downgrade() -> None:
    op.drop_column("catalog_inventory_ledger", "origin_id")
    op.execute("DROP TRIGGER order_points_entry_append_only ON order_points_entry")
    op.execute("DROP TRIGGER order_origin_stock_rollup ON order_origin_stock")
    op.execute("DROP FUNCTION order_origin_stock_rollup()")
    op.drop_table("order_saga_step")
    op.drop_index(op.f("ix_order_origin_stock_variant_id"), table_name="order_origin_stock")
    op.drop_table("order_origin_stock")
    op.drop_index(op.f("ix_order_line_vendor_id"), table_name="order_line")
    op.drop_table("order_line")
    op.drop_table("order_cart_line")
    op.drop_table("order_shipment")
    op.drop_index(
        "ix_order_saga_runnable",
        table_name="order_saga",
        postgresql_where=sa.text("state IN ('RUNNING', 'COMPENSATING')"),
    )
    op.drop_index(op.f("ix_order_saga_order_id"), table_name="order_saga")
    op.drop_table("order_saga")
    op.drop_table("order_payment")
    op.drop_table("order_notification")
    op.drop_index(op.f("ix_order_points_entry_user_id"), table_name="order_points_entry")
    op.drop_table("order_points_entry")
    op.drop_table("order_points_account")
    op.drop_index(op.f("ix_order_origin_manager_user_id"), table_name="order_origin_manager")
    op.drop_table("order_origin_manager")
    op.drop_index("ix_order_order_user_placed", table_name="order_order")
    op.drop_table("order_order")
    op.drop_table("order_cart")
    op.drop_table("order_shipping_origin")
