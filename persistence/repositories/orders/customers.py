"""What orders need of customers: withdrawal (ID-14) and the purge of old history."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.identity import User
from persistence.models.orders import Order


async def lock_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id, with_for_update=True)


async def withdrawn_at(session: AsyncSession, user_id: uuid.UUID) -> datetime | None:
    return await session.scalar(select(User.withdrawn_at).where(User.id == user_id))


async def withdrawn_users(session: AsyncSession) -> list[tuple[uuid.UUID, datetime]]:
    rows = await session.execute(
        select(User.id, User.withdrawn_at).where(User.status == "WITHDRAWN")
    )
    return [(row.id, row.withdrawn_at) for row in rows]


async def delete_orders_of(session: AsyncSession, user_id: uuid.UUID) -> int:
    ids = await session.scalars(delete(Order).where(Order.user_id == user_id).returning(Order.id))
    return len(list(ids))
