"""SQL of the transactional outbox (workflows/outbox.py relays it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.outbox import OutboxEvent


def add(session: AsyncSession, topic: str, payload: dict[str, Any]) -> None:
    """An event committed with (and only with) the change it reports."""
    session.add(OutboxEvent(topic=topic, payload=payload))


async def lock_unpublished(session: AsyncSession, limit: int) -> Sequence[Row[Any]]:
    """The oldest unpublished events, locked with SKIP LOCKED so relays run side by side."""
    return (
        await session.execute(
            select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.payload)
            .where(OutboxEvent.published_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()


async def mark_published(session: AsyncSession, ids: list[int]) -> None:
    await session.execute(
        update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(published_at=func.now())
    )
