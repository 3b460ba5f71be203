"""Outbox relay: publishes committed domain events to the broker, at least once, in order."""

from __future__ import annotations

from persistence.database import Database
from persistence.repositories import outbox
from subscriptions.broker import Broker

BATCH_SIZE = 200


async def relay_once(db: Database, broker: Broker, batch_size: int = BATCH_SIZE) -> int:
    """Publish one batch; events are marked published in the same unit of work, so a crash
    before its commit publishes them again (subscribers tolerate repeats)."""
    async with db.transaction() as unit:
        rows = await outbox.lock_unpublished(unit.session, batch_size)
        for row in rows:
            await broker.publish(row.topic, row.payload)
        if rows:
            await outbox.mark_published(unit.session, [row.id for row in rows])
    return len(rows)
