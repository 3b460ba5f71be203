"""Points (ORD-6): every movement is an entry with a unique idempotency key; the balance
can never go below zero (a CHECK constraint and a conditional update)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.errors import NotFound, ValidationFailed
from persistence.database import Database
from persistence.models.identity import User
from persistence.models.orders import PointsAccount, PointsEntry
from resolvers import idempotency
from resolvers.identity import audit
from resolvers.policy import refuse_self_dealing


class InsufficientPoints(ValidationFailed):
    def __init__(self) -> None:
        super().__init__("not enough points", reason="INSUFFICIENT_POINTS", field="usePoints")


async def balance(session: AsyncSession, user_id: uuid.UUID) -> int:
    return int(
        await session.scalar(select(PointsAccount.balance).where(PointsAccount.user_id == user_id))
        or 0
    )


async def applied(session: AsyncSession, key: str) -> int | None:
    """The delta recorded under `key`, if that movement happened."""
    return await session.scalar(select(PointsEntry.delta).where(PointsEntry.idempotency_key == key))


async def move(
    session: AsyncSession,
    user_id: uuid.UUID,
    delta: int,
    reason: str,
    key: str,
    *,
    order_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Apply a movement once; False if `key` was already applied. Caller commits.

    Raises InsufficientPoints when a debit exceeds the balance."""
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
    if claimed is None:
        return False
    await session.execute(
        insert(PointsAccount).values(user_id=user_id, balance=0).on_conflict_do_nothing()
    )
    moved = await session.scalar(
        update(PointsAccount)
        .where(PointsAccount.user_id == user_id, PointsAccount.balance + delta >= 0)
        .values(balance=PointsAccount.balance + delta)
        .returning(PointsAccount.balance)
    )
    if moved is None:
        raise InsufficientPoints()
    return True


async def take_back(
    session: AsyncSession,
    user_id: uuid.UUID,
    wanted: int,
    reason: str,
    key: str,
    order_id: uuid.UUID | None,
) -> int:
    """Debit up to `wanted` (cancelling an accrual the customer already spent takes what is
    left: the balance never goes negative). Returns the amount taken."""
    if await applied(session, key) is not None:
        return 0
    account = await session.scalar(
        select(PointsAccount.balance).where(PointsAccount.user_id == user_id).with_for_update()
    )
    amount = min(wanted, int(account or 0))
    await move(session, user_id, -amount, reason, key, order_id=order_id)
    return amount


async def grant(
    session: AsyncSession, actor: uuid.UUID, *, user_id: str, amount: int, idempotency_key: str
) -> uuid.UUID:
    """Points given by support or a campaign, once per (granter, key)."""
    claimed = await idempotency.claim(
        session,
        caller=actor,
        operation="grantPoints",
        key=idempotency_key,
        request={"userId": user_id, "points": amount},
    )
    if claimed.replayed:
        return uuid.UUID(claimed.first_result())
    try:
        target = uuid.UUID(user_id)
    except ValueError as exc:
        raise NotFound("no such user", field="userId") from exc
    refuse_self_dealing(actor, target, "granting points")
    if not 1 <= amount <= 10_000_000:
        raise ValidationFailed("points must be 1..10000000", field="points")
    if await session.get(User, target) is None:
        raise NotFound("no such user", field="userId")
    await move(session, target, amount, "GRANT", f"grant:{claimed.id}")
    audit.record(
        session,
        "orders.points_granted",
        subject_type="user",
        subject_id=str(target),
        actor=actor,
        data={"points": amount},
    )
    await idempotency.remember(session, claimed, str(target))
    await session.commit()
    return target


async def expire_due(db: Database, now: datetime | None = None) -> int:
    """Scheduled: accrued points past their expiry are taken back (what is left of them).
    Returns how many accruals expired."""
    now = now or datetime.now(UTC)
    done = aliased(PointsEntry)  # the EXPIRE entry an accrual already got
    async with db.unit_of_work() as session:
        due = (
            await session.execute(
                select(PointsEntry.id, PointsEntry.user_id, PointsEntry.delta)
                .where(PointsEntry.reason == "ACCRUE", PointsEntry.expires_at <= now)
                .where(
                    ~select(done.id)
                    .where(done.idempotency_key == func.concat("expire:", PointsEntry.id))
                    .exists()
                )
                .order_by(PointsEntry.id)
                .limit(500)
            )
        ).all()
        for entry_id, user_id, delta in due:
            await take_back(session, user_id, delta, "EXPIRE", f"expire:{entry_id}", None)
        await session.commit()
    return len(due)
