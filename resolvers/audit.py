"""Audit rows (ID-13), written in the caller's transaction so they commit with the change."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.audit import AuditLog
from resolvers.services import RequestMeta


def record(
    session: AsyncSession,
    action: str,
    *,
    subject_type: str,
    subject_id: str,
    meta: RequestMeta | None = None,
    actor: uuid.UUID | str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            actor_user_id=uuid.UUID(str(actor)) if actor else None,
            source_address=meta.address if meta else None,
            request_id=meta.request_id if meta else None,
            data=data or {},
        )
    )
