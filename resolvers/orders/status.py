"""Order status changes: conditional (never from an unexpected state) and announced through
the outbox in the same transaction, for the OrderUpdates subscription."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.database import Database
from persistence.models.orders import Notification, Order
from resolvers import outbox


def order_topic(order_id: uuid.UUID | str) -> str:
    return f"topic:order:{order_id}"


async def order_status(db: Database, order_id: uuid.UUID) -> tuple[str, int]:
    """(status, version) now, on a short connection (a subscription holds none while it waits)."""
    async with db.read() as conn:
        row = (
            await conn.execute(select(Order.status, Order.version).where(Order.id == order_id))
        ).one()
    return row.status, row.version


async def change(
    session: AsyncSession, order_id: uuid.UUID, to: str, *, allowed_from: tuple[str, ...]
) -> bool:
    version = await session.scalar(
        update(Order)
        .where(Order.id == order_id, Order.status.in_(allowed_from))
        .values(status=to, version=Order.version + 1, updated_at=func.now())
        .returning(Order.version)
    )
    if version is not None:  # the version lets a subscriber drop what its own read already saw
        outbox.emit(
            session, order_topic(order_id), {"id": str(order_id), "status": to, "version": version}
        )
    return version is not None


async def notify(session: AsyncSession, order_id: uuid.UUID, user_id: uuid.UUID, kind: str) -> None:
    """Queue one customer e-mail per (order, kind); repeats are harmless."""
    await session.execute(
        insert(Notification)
        .values(order_id=order_id, user_id=user_id, kind=kind)
        .on_conflict_do_nothing()
    )
