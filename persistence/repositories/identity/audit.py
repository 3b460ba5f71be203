"""The append-only audit log (ID-13)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.audit import AuditLog


def add_entry(
    session: AsyncSession,
    action: str,
    *,
    subject_type: str,
    subject_id: str,
    actor_user_id: uuid.UUID | None,
    source_address: str | None,
    request_id: str | None,
    data: dict[str, Any],
) -> None:
    """One row, written with the caller's transaction."""
    session.add(
        AuditLog(
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            actor_user_id=actor_user_id,
            source_address=source_address,
            request_id=request_id,
            data=data,
        )
    )


async def audit_page(
    session: AsyncSession,
    after_id: int | None,
    limit: int,
    action: str | None,
    subject_id: str | None,
) -> list[AuditLog]:
    """Newest first, keyset on id."""
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if after_id is not None:
        query = query.where(AuditLog.id < after_id)
    if action:
        query = query.where(AuditLog.action == action)
    if subject_id:
        query = query.where(AuditLog.subject_id == subject_id)
    return list(await session.scalars(query))
