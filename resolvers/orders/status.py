"""Order status changes: conditional (never from an unexpected state) and announced through
the outbox in the same transaction, for the OrderUpdates subscription."""

from __future__ import annotations

import uuid

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.orders import Notification, Order
from resolvers import outbox


def order_topic(order_id: uuid.UUID | str) -> str:
    return f"topic:order:{order_id}"


async def change(
    session: AsyncSession, order_id: uuid.UUID, to: str, *, allowed_from: tuple[str, ...]
) -> bool:
    changed = await session.scalar(
        update(Order)
        .where(Order.id == order_id, Order.status.in_(allowed_from))
        .values(status=to, version=Order.version + 1, updated_at=func.now())
        .returning(Order.id)
    )
    if changed is not None:
        outbox.emit(session, order_topic(order_id), {"id": str(order_id), "status": to})
    return changed is not None


async def notify(session: AsyncSession, order_id: uuid.UUID, user_id: uuid.UUID, kind: str) -> None:
    """Queue one customer e-mail per (order, kind); repeats are harmless."""
    await session.execute(
        insert(Notification)
        .values(order_id=order_id, user_id=user_id, kind=kind)
        .on_conflict_do_nothing()
    )
