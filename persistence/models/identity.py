"""Identity tables: users, password history, RBAC, signing keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.base import Base


class User(Base):
    __tablename__ = "identity_user"
    __table_args__ = (
        Index("uq_identity_user_email_lower", text("lower(email)"), unique=True),
        CheckConstraint("status IN ('ACTIVE', 'WITHDRAWN', 'DISABLED')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(10), server_default="en")
    password_hash: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default="ACTIVE")
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    password_changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class PasswordHistory(Base):
    """Earlier password hashes: the last N may not be reused (ID-1)."""

    __tablename__ = "identity_password_history"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), index=True
    )
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Permission(Base):
    __tablename__ = "identity_permission"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    description: Mapped[str] = mapped_column(Text, server_default="")


class Role(Base):
    __tablename__ = "identity_role"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(Text, server_default="")
    builtin: Mapped[bool] = mapped_column(server_default="false")


class RoleParent(Base):
    """`role_name` inherits every permission of `parent_name`."""

    __tablename__ = "identity_role_parent"
    __table_args__ = (CheckConstraint("role_name <> parent_name", name="not_self"),)

    role_name: Mapped[str] = mapped_column(
        ForeignKey("identity_role.name", ondelete="CASCADE"), primary_key=True
    )
    parent_name: Mapped[str] = mapped_column(
        ForeignKey("identity_role.name", ondelete="CASCADE"), primary_key=True
    )


class RolePermission(Base):
    __tablename__ = "identity_role_permission"

    role_name: Mapped[str] = mapped_column(
        ForeignKey("identity_role.name", ondelete="CASCADE"), primary_key=True
    )
    permission: Mapped[str] = mapped_column(
        ForeignKey("identity_permission.name", ondelete="CASCADE"), primary_key=True
    )


class UserRole(Base):
    __tablename__ = "identity_user_role"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), primary_key=True
    )
    role_name: Mapped[str] = mapped_column(
        ForeignKey("identity_role.name", ondelete="CASCADE"), primary_key=True
    )
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    granted_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class SigningKey(Base):
    """JWT signing keys; several may be published in JWKS during a rotation (ID-7)."""

    __tablename__ = "identity_signing_key"
    __table_args__ = (
        CheckConstraint(
            "(private_pem IS NULL) <> (private_key_sealed IS NULL)", name="one_private_key"
        ),
    )

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    # Plaintext PEM of keys made before issue 9, sealed (and emptied) at start-up.
    private_pem: Mapped[str | None] = mapped_column(Text)
    # The PKCS#8 PEM sealed with the key-encryption key (AES-256-GCM, kid authenticated).
    private_key_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    public_jwk: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
