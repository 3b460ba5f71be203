"""Points ledger statements (ORD-6): entries with unique keys, a balance that never goes
below zero."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from persistence.models.orders import PointsAccount, PointsEntry


async def balance(session: AsyncSession, user_id: uuid.UUID, *, lock: bool = False) -> int:
    query = select(PointsAccount.balance).where(PointsAccount.user_id == user_id)
    return int(await session.scalar(query.with_for_update() if lock else query) or 0)


async def applied(session: AsyncSession, key: str) -> int | None:
    """The delta recorded under `key`, if that movement happened."""
    return await session.scalar(select(PointsEntry.delta).where(PointsEntry.idempotency_key == key))


async def add_entry(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    delta: int,
    reason: str,
    key: str,
    order_id: uuid.UUID | None,
    expires_at: datetime | None,
) -> bool:
    """Record a movement once; False if `key` already has one."""
    claimed = await session.scalar(
        insert(PointsEntry)
        .values(
            user_id=user_id,
            delta=delta,
            reason=reason,
            idempotency_key=key,
            order_id=order_id,
            expires_at=expires_at,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(PointsEntry.id)
    )
    return claimed is not None


async def change_balance(session: AsyncSession, user_id: uuid.UUID, delta: int) -> bool:
    """Apply `delta` unless the balance would go negative (then nothing changes: False)."""
    await session.execute(
        insert(PointsAccount).values(user_id=user_id, balance=0).on_conflict_do_nothing()
    )
    moved = await session.scalar(
        update(PointsAccount)
        .where(PointsAccount.user_id == user_id, PointsAccount.balance + delta >= 0)
        .values(balance=PointsAccount.balance + delta)
        .returning(PointsAccount.balance)
    )
    return moved is not None


async def history(session: AsyncSession, user_id: uuid.UUID, limit: int) -> list[PointsEntry]:
    return list(
        await session.scalars(
            select(PointsEntry)
            .where(PointsEntry.user_id == user_id)
            .order_by(PointsEntry.id.desc())
            .limit(limit)
        )
    )


async def due_expirations(
    session: AsyncSession, now: datetime, limit: int
) -> list[tuple[int, uuid.UUID, int]]:
    """Accruals past their expiry that have no EXPIRE entry yet: (entry id, user, delta)."""
    done = aliased(PointsEntry)  # the EXPIRE entry an accrual already got
    rows = await session.execute(
        select(PointsEntry.id, PointsEntry.user_id, PointsEntry.delta)
        .where(PointsEntry.reason == "ACCRUE", PointsEntry.expires_at <= now)
        .where(
            ~select(done.id)
            .where(done.idempotency_key == func.concat("expire:", PointsEntry.id))
            .exists()
        )
        .order_by(PointsEntry.id)
        .limit(limit)
    )
    return [(row.id, row.user_id, row.delta) for row in rows]
