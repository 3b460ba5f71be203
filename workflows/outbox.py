"""Outbox relay: publishes committed domain events to the broker, at least once, in order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from persistence.database import Database
from persistence.repositories import outbox
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
    """Publish one batch; events are marked published in the same unit of work, so a crash
    before its commit publishes them again (subscribers tolerate repeats). Rows are locked
    with SKIP LOCKED, so relays run side by side."""
    async with db.transaction() as unit:
        rows = await outbox.lock_unpublished(unit.session, batch_size)
        for row in rows:
            effect = (effects or {}).get(row.topic)
            if effect is not None:
                await effect(row.payload)
            else:
                await broker.publish(row.topic, row.payload)
        if rows:
            await outbox.mark_published(unit.session, [row.id for row in rows])
    return len(rows)
