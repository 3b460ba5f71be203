"""reservations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 09:51:59.652336
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")  # uuid equality inside a GiST exclusion
    op.create_table(
        "reservation_inventory",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "available >= 0 AND available <= total", name=op.f("ck_reservation_inventory_available")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_inventory")),
    )
    op.create_table(
        "reservation_resource",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_resource")),
    )
    op.create_table(
        "reservation_reservation",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("inventory_id", sa.UUID(), nullable=True),
        sa.Column("quantity", sa.Integer(), server_default="1", nullable=False),
        sa.Column("resource_id", sa.UUID(), nullable=True),
        sa.Column("period", postgresql.TSTZRANGE(), nullable=True),
        sa.Column("payment_due_at", sa.DateTime(timezone=True), nullable=True),
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
        postgresql.ExcludeConstraint(
            (sa.column("resource_id"), "="),
            (sa.column("period"), "&&"),
            where=sa.text("status IN ('CONFIRMED', 'HELD', 'PAID')"),
            using="gist",
            name="ex_reservation_reservation_no_overlap",
        ),
        sa.CheckConstraint(
            "status IN ('CONFIRMED', 'HELD', 'PAID', 'CANCELLED', 'EXPIRED')",
            name=op.f("ck_reservation_reservation_status"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reservation_reservation_quantity")),
        sa.ForeignKeyConstraint(
            ["inventory_id"],
            ["reservation_inventory.id"],
            name=op.f("fk_reservation_reservation_inventory_id_reservation_inventory"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["reservation_resource.id"],
            name=op.f("fk_reservation_reservation_resource_id_reservation_resource"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_user.id"],
            name=op.f("fk_reservation_reservation_user_id_identity_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_reservation")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_reservation_reservation_ticket_id")),
    )
    op.create_index(
        "ix_reservation_reservation_user",
        "reservation_reservation",
        ["user_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "reservation_cancel",
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("reservation_id", sa.UUID(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservation_reservation.id"],
            name=op.f("fk_reservation_cancel_reservation_id_reservation_reservation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_reservation_cancel")),
        sa.UniqueConstraint("reservation_id", name=op.f("uq_reservation_cancel_reservation_id")),
    )


def downgrade() -> None:
    op.drop_table("reservation_cancel")
    op.drop_index("ix_reservation_reservation_user", table_name="reservation_reservation")
    op.drop_table("reservation_reservation")
    op.drop_table("reservation_resource")
    op.drop_table("reservation_inventory")
