"""Outbox relay: publishes committed domain events to the broker, at least once, in order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import func, select, update

from persistence.database import Database
from persistence.models.outbox import OutboxEvent
from subscriptions.broker import Broker

BATCH_SIZE = 200
# Rows whose topic names an effect are handed to it instead of the broker (e.g. cache
# invalidations: persistence/cache.py). Effects must be idempotent: delivery is at least once.
Effect = Callable[[dict[str, Any]], Awaitable[None]]


async def relay_once(
    db: Database,
    broker: Broker,
    batch_size: int = BATCH_SIZE,
    *,
    effects: Mapping[str, Effect] | None = None,
) -> int:
    """Publish one batch; rows are locked with SKIP LOCKED so relays can run side by side."""
    async with db.unit_of_work() as session:
        rows = (
            await session.execute(
                select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.payload)
                .where(OutboxEvent.published_at.is_(None))
                .order_by(OutboxEvent.id)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not rows:
            return 0
        for row in rows:
            effect = (effects or {}).get(row.topic)
            if effect is not None:
                await effect(row.payload)
            else:
                await broker.publish(row.topic, row.payload)
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_([row.id for row in rows]))
            .values(published_at=func.now())
        )
        await session.commit()
    return len(rows)
