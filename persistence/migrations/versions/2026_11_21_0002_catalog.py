"""catalog

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 08:42:30.256119
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "catalog_category",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("lineage", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["catalog_category.id"],
            name=op.f("fk_catalog_category_parent_id_catalog_category"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_category")),
        sa.UniqueConstraint("parent_id", "name", name=op.f("uq_catalog_category_parent_id_name")),
    )
    op.create_index(
        op.f("ix_catalog_category_parent_id"), "catalog_category", ["parent_id"], unique=False
    )
    op.create_table(
        "catalog_vendor",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("first_party", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_vendor")),
        sa.UniqueConstraint("name", name=op.f("uq_catalog_vendor_name")),
    )
    op.create_table(
        "catalog_attribute_definition",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("category_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "key ~ '^[a-z][a-z0-9_]{0,39}$'",
            name=op.f("ck_catalog_attribute_definition_key_format"),
        ),
        sa.CheckConstraint(
            "type IN ('STRING', 'NUMBER', 'BOOLEAN')",
            name=op.f("ck_catalog_attribute_definition_type"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["catalog_category.id"],
            name=op.f("fk_catalog_attribute_definition_category_id_catalog_category"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_attribute_definition")),
        sa.UniqueConstraint(
            "category_id", "key", name=op.f("uq_catalog_attribute_definition_category_id_key")
        ),
    )
    op.create_table(
        "catalog_product",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("vendor_id", sa.UUID(), nullable=False),
        sa.Column("category_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("sale_type", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="DRAFT", nullable=False),
        sa.Column("price_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed("to_tsvector('simple', name || ' ' || description)", persisted=True),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
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
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_catalog_product_currency")),
        sa.CheckConstraint(
            "sale_type IN ('RESERVATION', 'REALTIME')", name=op.f("ck_catalog_product_sale_type")
        ),
        sa.CheckConstraint(
            "status IN ('DRAFT', 'IN_REVIEW', 'LAUNCHED', 'SOLD_OUT', 'DISCONTINUED')",
            name=op.f("ck_catalog_product_status"),
        ),
        sa.CheckConstraint("price_amount >= 0", name=op.f("ck_catalog_product_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["catalog_category.id"],
            name=op.f("fk_catalog_product_category_id_catalog_category"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["catalog_vendor.id"],
            name=op.f("fk_catalog_product_vendor_id_catalog_vendor"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_product")),
        sa.UniqueConstraint("seq", name=op.f("uq_catalog_product_seq")),
    )
    op.create_index(
        "ix_catalog_product_attributes",
        "catalog_product",
        ["attributes"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"attributes": "jsonb_path_ops"},
    )
    op.create_index(
        "ix_catalog_product_category_seq", "catalog_product", ["category_id", "seq"], unique=False
    )
    op.create_index(
        "ix_catalog_product_name_trgm",
        "catalog_product",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_catalog_product_search",
        "catalog_product",
        ["search"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_catalog_product_status_price",
        "catalog_product",
        ["status", "price_amount"],
        unique=False,
    )
    op.create_index(
        "ix_catalog_product_vendor_seq", "catalog_product", ["vendor_id", "seq"], unique=False
    )
    op.create_table(
        "catalog_vendor_staff",
        sa.Column("vendor_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_user.id"],
            name=op.f("fk_catalog_vendor_staff_user_id_identity_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["catalog_vendor.id"],
            name=op.f("fk_catalog_vendor_staff_vendor_id_catalog_vendor"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vendor_id", "user_id", name=op.f("pk_catalog_vendor_staff")),
    )
    op.create_index(
        op.f("ix_catalog_vendor_staff_user_id"), "catalog_vendor_staff", ["user_id"], unique=False
    )
    op.create_table(
        "catalog_lifecycle_transition",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=False),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_user_id", sa.UUID(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_catalog_lifecycle_transition_product_id_catalog_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_lifecycle_transition")),
    )
    op.create_index(
        op.f("ix_catalog_lifecycle_transition_product_id"),
        "catalog_lifecycle_transition",
        ["product_id"],
        unique=False,
    )
    op.create_table(
        "catalog_option_group",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_catalog_option_group_product_id_catalog_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_option_group")),
        sa.UniqueConstraint(
            "product_id", "name", name=op.f("uq_catalog_option_group_product_id_name")
        ),
    )
    op.create_index(
        op.f("ix_catalog_option_group_product_id"),
        "catalog_option_group",
        ["product_id"],
        unique=False,
    )
    op.create_table(
        "catalog_price_history",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("old_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("new_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("changed_by", sa.UUID(), nullable=True),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_catalog_price_history_product_id_catalog_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_price_history")),
    )
    op.create_index(
        op.f("ix_catalog_price_history_product_id"),
        "catalog_price_history",
        ["product_id"],
        unique=False,
    )
    op.create_table(
        "catalog_variant",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column(
            "option_value_ids", postgresql.ARRAY(sa.UUID()), server_default="{}", nullable=False
        ),
        sa.Column(
            "extra_price", sa.Numeric(precision=14, scale=2), server_default="0", nullable=False
        ),
        sa.Column("stock", sa.Integer(), server_default="0", nullable=False),
        sa.Column("on_sale", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("extra_price >= 0", name=op.f("ck_catalog_variant_extra_not_negative")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_catalog_variant_stock_not_negative")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_catalog_variant_product_id_catalog_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_variant")),
        sa.UniqueConstraint("sku", name=op.f("uq_catalog_variant_sku")),
    )
    op.create_index(
        op.f("ix_catalog_variant_product_id"), "catalog_variant", ["product_id"], unique=False
    )
    op.create_index(
        "ix_catalog_variant_in_stock",
        "catalog_variant",
        ["product_id"],
        unique=False,
        postgresql_where=sa.text("stock > 0 AND on_sale"),
    )
    op.create_table(
        "catalog_inventory_ledger",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("stock_after", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_user_id", sa.UUID(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["catalog_variant.id"],
            name=op.f("fk_catalog_inventory_ledger_variant_id_catalog_variant"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_inventory_ledger")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_catalog_inventory_ledger_idempotency_key")
        ),
    )
    op.create_index(
        op.f("ix_catalog_inventory_ledger_variant_id"),
        "catalog_inventory_ledger",
        ["variant_id"],
        unique=False,
    )
    op.create_table(
        "catalog_option_value",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("group_id", sa.UUID(), nullable=False),
        sa.Column("value", sa.String(length=50), nullable=False),
        sa.Column(
            "extra_price", sa.Numeric(precision=14, scale=2), server_default="0", nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "extra_price >= 0", name=op.f("ck_catalog_option_value_extra_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["catalog_option_group.id"],
            name=op.f("fk_catalog_option_value_group_id_catalog_option_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_option_value")),
        sa.UniqueConstraint(
            "group_id", "value", name=op.f("uq_catalog_option_value_group_id_value")
        ),
    )
    op.create_index(
        op.f("ix_catalog_option_value_group_id"), "catalog_option_value", ["group_id"], unique=False
    )

    # CAT-1: every price change is recorded by the database itself, with the actor
    # the transaction declared (SET LOCAL tessera.actor).
    op.execute(
        """
        CREATE FUNCTION catalog_record_price_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.price_amount IS DISTINCT FROM OLD.price_amount OR NEW.currency IS DISTINCT FROM OLD.currency THEN
                INSERT INTO catalog_price_history (product_id, old_amount, new_amount, currency, changed_by)
                VALUES (NEW.id, OLD.price_amount, NEW.price_amount, NEW.currency,
                        NULLIF(current_setting('tessera.actor', true), '')::uuid);
            END IF;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER catalog_product_price_history AFTER UPDATE OF price_amount, currency
            ON catalog_product FOR EACH ROW EXECUTE FUNCTION catalog_record_price_change()
        """
    )
    # The inventory ledger and lifecycle history are append-only.
    op.execute(
        """
        CREATE FUNCTION append_only_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
        END $$
        """
    )
    for table in (
        "catalog_inventory_ledger",
        "catalog_lifecycle_transition",
        "catalog_price_history",
    ):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION append_only_refuse_change()"
        )


def downgrade() -> None:
    for table in (
        "catalog_inventory_ledger",
        "catalog_lifecycle_transition",
        "catalog_price_history",
    ):
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    op.execute("DROP FUNCTION append_only_refuse_change()")
    op.execute("DROP TRIGGER catalog_product_price_history ON catalog_product")
    op.execute("DROP FUNCTION catalog_record_price_change()")
    op.drop_index(op.f("ix_catalog_option_value_group_id"), table_name="catalog_option_value")
    op.drop_table("catalog_option_value")
    op.drop_index(
        op.f("ix_catalog_inventory_ledger_variant_id"), table_name="catalog_inventory_ledger"
    )
    op.drop_table("catalog_inventory_ledger")
    op.drop_index(op.f("ix_catalog_variant_product_id"), table_name="catalog_variant")
    op.drop_table("catalog_variant")
    op.drop_index(op.f("ix_catalog_price_history_product_id"), table_name="catalog_price_history")
    op.drop_table("catalog_price_history")
    op.drop_index(op.f("ix_catalog_option_group_product_id"), table_name="catalog_option_group")
    op.drop_table("catalog_option_group")
    op.drop_index(
        op.f("ix_catalog_lifecycle_transition_product_id"),
        table_name="catalog_lifecycle_transition",
    )
    op.drop_table("catalog_lifecycle_transition")
    op.drop_index(op.f("ix_catalog_vendor_staff_user_id"), table_name="catalog_vendor_staff")
    op.drop_table("catalog_vendor_staff")
    op.drop_index("ix_catalog_product_vendor_seq", table_name="catalog_product")
    op.drop_index("ix_catalog_product_status_price", table_name="catalog_product")
    op.drop_index("ix_catalog_product_search", table_name="catalog_product", postgresql_using="gin")
    op.drop_index(
        "ix_catalog_product_name_trgm",
        table_name="catalog_product",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_index("ix_catalog_product_category_seq", table_name="catalog_product")
    op.drop_index(
        "ix_catalog_product_attributes",
        table_name="catalog_product",
        postgresql_using="gin",
        postgresql_ops={"attributes": "jsonb_path_ops"},
    )
    op.drop_table("catalog_product")
    op.drop_table("catalog_attribute_definition")
    op.drop_table("catalog_vendor")
    op.drop_index(op.f("ix_catalog_category_parent_id"), table_name="catalog_category")
    op.drop_table("catalog_category")
