"""concert events and seats

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 09:53:33.137990
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reservation_event",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("booking_opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("booking_closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payment_window_minutes", sa.Integer(), nullable=False),
        sa.Column("price_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.CheckConstraint(
            "booking_opens_at < booking_closes_at", name=op.f("ck_reservation_event_window")
        ),
        sa.CheckConstraint(
            "payment_window_minutes > 0", name=op.f("ck_reservation_event_payment_window")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_event")),
    )
    op.create_table(
        "reservation_seat",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("section", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="AVAILABLE", nullable=False),
        sa.Column("reservation_id", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "(status IN ('HELD', 'SOLD')) = (reservation_id IS NOT NULL)",
            name=op.f("ck_reservation_seat_holder"),
        ),
        sa.CheckConstraint(
            "status IN ('AVAILABLE', 'HELD', 'SOLD', 'BLOCKED')",
            name=op.f("ck_reservation_seat_status"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["reservation_event.id"],
            name=op.f("fk_reservation_seat_event_id_reservation_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservation_reservation.id"],
            name=op.f("fk_reservation_seat_reservation_id_reservation_reservation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_seat")),
        sa.UniqueConstraint(
            "event_id", "section", "label", name=op.f("uq_reservation_seat_event_id_section_label")
        ),
    )
    op.create_index(
        op.f("ix_reservation_seat_event_id"), "reservation_seat", ["event_id"], unique=False
    )
    op.create_index(
        op.f("ix_reservation_seat_reservation_id"),
        "reservation_seat",
        ["reservation_id"],
        unique=False,
    )
    op.add_column("reservation_reservation", sa.Column("event_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_reservation_reservation_event_id_reservation_event"),
        "reservation_reservation",
        "reservation_event",
        ["event_id"],
        ["id"],
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_reservation_reservation_event_id_reservation_event"),
        "reservation_reservation",
        type_="foreignkey",
    )
    op.drop_column("reservation_reservation", "event_id")
    op.drop_index(op.f("ix_reservation_seat_reservation_id"), table_name="reservation_seat")
    op.drop_index(op.f("ix_reservation_seat_event_id"), table_name="reservation_seat")
    op.drop_table("reservation_seat")
    op.drop_table("reservation_event")
