"""identity, audit and outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-21 08:22:47.713419
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_user_id", sa.UUID(), nullable=True),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("source_address", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column(
            "data", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_action_id", "audit_log", ["action", "id"], unique=False)
    op.create_index(
        "ix_audit_log_subject", "audit_log", ["subject_type", "subject_id", "id"], unique=False
    )
    op.create_table(
        "identity_permission",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_identity_permission")),
    )
    op.create_table(
        "identity_role",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("builtin", sa.Boolean(), server_default="false", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_identity_role")),
    )
    op.create_table(
        "identity_signing_key",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_jwk", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_identity_signing_key")),
    )
    op.create_table(
        "identity_user",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("locale", sa.String(length=10), server_default="en", nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="ACTIVE", nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "password_changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "status IN ('ACTIVE', 'WITHDRAWN', 'DISABLED')", name=op.f("ck_identity_user_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_user")),
    )
    op.create_index(
        "uq_identity_user_email_lower",
        "identity_user",
        [sa.literal_column("lower(email)")],
        unique=True,
    )
    op.create_table(
        "outbox_event",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
    )
    op.create_index(
        "ix_outbox_event_unpublished",
        "outbox_event",
        ["id"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "identity_password_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_user.id"],
            name=op.f("fk_identity_password_history_user_id_identity_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_password_history")),
    )
    op.create_index(
        op.f("ix_identity_password_history_user_id"),
        "identity_password_history",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "identity_role_parent",
        sa.Column("role_name", sa.String(length=64), nullable=False),
        sa.Column("parent_name", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "role_name <> parent_name", name=op.f("ck_identity_role_parent_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["parent_name"],
            ["identity_role.name"],
            name=op.f("fk_identity_role_parent_parent_name_identity_role"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_name"],
            ["identity_role.name"],
            name=op.f("fk_identity_role_parent_role_name_identity_role"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("role_name", "parent_name", name=op.f("pk_identity_role_parent")),
    )
    op.create_table(
        "identity_role_permission",
        sa.Column("role_name", sa.String(length=64), nullable=False),
        sa.Column("permission", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["permission"],
            ["identity_permission.name"],
            name=op.f("fk_identity_role_permission_permission_identity_permission"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_name"],
            ["identity_role.name"],
            name=op.f("fk_identity_role_permission_role_name_identity_role"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "role_name", "permission", name=op.f("pk_identity_role_permission")
        ),
    )
    op.create_table(
        "identity_user_role",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("role_name", sa.String(length=64), nullable=False),
        sa.Column(
            "granted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("granted_by", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["role_name"],
            ["identity_role.name"],
            name=op.f("fk_identity_user_role_role_name_identity_role"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_user.id"],
            name=op.f("fk_identity_user_role_user_id_identity_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "role_name", name=op.f("pk_identity_user_role")),
    )

    # ID-13: the audit log is append-only, enforced by the database itself.
    op.execute(
        """
        CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only';
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_refuse_change()")
    op.drop_table("identity_user_role")
    op.drop_table("identity_role_permission")
    op.drop_table("identity_role_parent")
    op.drop_index(
        op.f("ix_identity_password_history_user_id"), table_name="identity_password_history"
    )
    op.drop_table("identity_password_history")
    op.drop_index(
        "ix_outbox_event_unpublished",
        table_name="outbox_event",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox_event")
    op.drop_index("uq_identity_user_email_lower", table_name="identity_user")
    op.drop_table("identity_user")
    op.drop_table("identity_signing_key")
    op.drop_table("identity_role")
    op.drop_table("identity_permission")
    op.drop_index("ix_audit_log_subject", table_name="audit_log")
    op.drop_index("ix_audit_log_action_id", table_name="audit_log")
    op.drop_table("audit_log")
