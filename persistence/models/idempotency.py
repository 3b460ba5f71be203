"""Idempotency keys (API-6): one row per (caller, operation, key), written in the transaction
of the effect it guards, with the request's fingerprint and the first result."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.base import Base


class IdempotencyKey(Base):
    __tablename__ = "idempotency_key"
    __table_args__ = (
        UniqueConstraint("scope", "operation", "key"),
        Index("ix_idempotency_key_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(100))  # the caller (a user id)
    operation: Mapped[str] = mapped_column(String(60))  # the mutation's name
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical arguments
    # The first outcome: {"value": ...} or {"error": {...}}; NULL while a multi-step operation
    # (a payment waiting on its provider) is still running.
    result: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
