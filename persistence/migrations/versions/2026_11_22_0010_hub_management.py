"""HUB management (ORD-7): HUB code, owner and location; keyset index of the stock ledger

Revision ID: 0010
Revises: 0005
Create Date: 2026-11-22 03:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

# Rows inserted outside the API (operators' SQL of old, tests) still get a unique code.
GENERATED_CODE = "'HUB-' || upper(substr(md5(gen_random_uuid()::text), 1, 12))"

CENTRES = {
    "00000000-0000-4000-8000-000000000001": ("LC-ICHEON", "Icheon, Gyeonggi"),
    "00000000-0000-4000-8000-000000000002": ("LC-YONGIN", "Yongin, Gyeonggi"),
    "00000000-0000-4000-8000-000000000003": ("LC-GIMPO", "Gimpo, Gyeonggi"),
    "00000000-0000-4000-8000-000000000004": ("LC-BUSAN", "Busan"),
    "00000000-0000-4000-8000-000000000005": ("LC-DAEJEON", "Daejeon"),
}


def upgrade() -> None:
    op.add_column(
        "order_shipping_origin",
        sa.Column("code", sa.String(40), server_default=sa.text(GENERATED_CODE), nullable=False),
    )
    op.add_column(
        "order_shipping_origin",
        sa.Column("owner", sa.String(100), server_default="", nullable=False),
    )
    op.add_column(
        "order_shipping_origin",
        sa.Column("location", sa.String(200), server_default="", nullable=False),
    )
    op.add_column(
        "order_shipping_origin",
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    for origin_id, (code, location) in CENTRES.items():
        op.execute(
            sa.text(
                "UPDATE order_shipping_origin SET code = :code, owner = 'Logistics', "
                "location = :location WHERE id = CAST(:id AS uuid)"
            ).bindparams(code=code, location=location, id=origin_id)
        )
    op.create_unique_constraint(
        op.f("uq_order_shipping_origin_code"), "order_shipping_origin", ["code"]
    )
    op.create_check_constraint(
        op.f("ck_order_shipping_origin_code_format"),
        "order_shipping_origin",
        "code ~ '^[A-Z0-9][A-Z0-9-]{1,39}$'",
    )
    # The ledger is read newest first per variant (stockLedger, CAT-8).
    op.create_index(
        "ix_catalog_inventory_ledger_variant_newest",
        "catalog_inventory_ledger",
        ["variant_id", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_catalog_inventory_ledger_variant_newest", "catalog_inventory_ledger")
    op.drop_constraint(
        op.f("ck_order_shipping_origin_code_format"), "order_shipping_origin", type_="check"
    )
    op.drop_constraint(op.f("uq_order_shipping_origin_code"), "order_shipping_origin")
    for column in ("created_at", "location", "owner", "code"):
        op.drop_column("order_shipping_origin", column)
