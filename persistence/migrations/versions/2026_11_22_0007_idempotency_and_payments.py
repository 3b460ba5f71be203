"""idempotency keys, reservation payments, safe saga error codes

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-22 03:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", sa.dialects.postgresql.JSONB(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_key")),
        sa.UniqueConstraint(
            "scope", "operation", "key", name=op.f("uq_idempotency_key_scope_operation_key")
        ),
    )
    op.create_index("ix_idempotency_key_created_at", "idempotency_key", ["created_at"])

    op.create_table(
        "reservation_payment",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("reservation_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("idempotency_id", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="PENDING", nullable=False),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=False),
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
            "status IN ('PENDING', 'CHARGED', 'REFUNDING', 'REFUNDED', 'FAILED')",
            name=op.f("ck_reservation_payment_status"),
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservation_reservation.id"],
            name=op.f("fk_reservation_payment_reservation_id_reservation_reservation"),
        ),
        sa.ForeignKeyConstraint(
            ["idempotency_id"],
            ["idempotency_key.id"],
            name=op.f("fk_reservation_payment_idempotency_id_idempotency_key"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_payment")),
    )
    op.create_index(
        "uq_reservation_payment_live",
        "reservation_payment",
        ["reservation_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('PENDING', 'CHARGED')"),
    )
    op.create_index(
        "ix_reservation_payment_unsettled",
        "reservation_payment",
        ["next_check_at"],
        postgresql_where=sa.text("status IN ('PENDING', 'REFUNDING')"),
    )

    # Checkout keys live in idempotency_key now (scoped, fingerprinted, purged after 24 h).
    op.drop_constraint("uq_order_order_user_id_idempotency_key", "order_order", type_="unique")
    op.add_column(
        "order_saga_step", sa.Column("last_error_code", sa.String(length=40), nullable=True)
    )
    # Rendered exceptions (SQL, provider bodies) must not reach clients any more.
    op.execute("UPDATE order_saga_step SET last_error = NULL WHERE last_error IS NOT NULL")


def downgrade() -> None:
    op.drop_column("order_saga_step", "last_error_code")
    op.create_unique_constraint(
        "uq_order_order_user_id_idempotency_key", "order_order", ["user_id", "idempotency_key"]
    )
    op.drop_index("ix_reservation_payment_unsettled", table_name="reservation_payment")
    op.drop_index("uq_reservation_payment_live", table_name="reservation_payment")
    op.drop_table("reservation_payment")
    op.drop_index("ix_idempotency_key_created_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
