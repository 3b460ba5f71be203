"""Domain events go to the outbox in the same transaction as the change (no dual writes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.outbox import OutboxEvent


def emit(session: AsyncSession, topic: str, payload: dict[str, Any]) -> None:
    session.add(OutboxEvent(topic=topic, payload=payload))
