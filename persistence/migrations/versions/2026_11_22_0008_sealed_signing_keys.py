"""signing keys sealed with the key-encryption key

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-22 03:30:00

Adds the sealed column; plaintext PEMs of existing keys are sealed and emptied by the first
process that starts with a key-encryption key (auth/tokens.py), which has the key; this
migration does not.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "identity_signing_key", sa.Column("private_key_sealed", sa.LargeBinary(), nullable=True)
    )
    op.alter_column("identity_signing_key", "private_pem", existing_type=sa.Text(), nullable=True)
    op.create_check_constraint(
        op.f("ck_identity_signing_key_one_private_key"),
        "identity_signing_key",
        "(private_pem IS NULL) <> (private_key_sealed IS NULL)",
    )


def downgrade() -> None:
    # Sealed keys cannot be unsealed here (no key-encryption key): they are dropped, as a
    # rotation would retire them; the next start creates a fresh plaintext-era key.
    op.drop_constraint(
        op.f("ck_identity_signing_key_one_private_key"), "identity_signing_key", type_="check"
    )
    op.execute("DELETE FROM identity_signing_key WHERE private_pem IS NULL")
    op.drop_column("identity_signing_key", "private_key_sealed")
    op.alter_column("identity_signing_key", "private_pem", existing_type=sa.Text(), nullable=False)
