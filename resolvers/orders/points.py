"""Points (ORD-6): every movement is an entry with a unique idempotency key; the balance
can never go below zero (a CHECK constraint and a conditional update)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from core.errors import NotFound, ValidationFailed
from persistence.database import Database
from persistence.repositories.orders import points as repo
from persistence.repositories.orders.hubs import user_exists
from persistence.unit_of_work import Session, UnitOfWork
from resolvers import idempotency
from resolvers.identity import audit
from resolvers.policy import refuse_self_dealing

EXPIRY_BATCH = 500


class InsufficientPoints(ValidationFailed):
    def __init__(self) -> None:
        super().__init__("not enough points", reason="INSUFFICIENT_POINTS", field="usePoints")


async def balance(session: Session, user_id: uuid.UUID) -> int:
    return await repo.balance(session, user_id)


async def applied(session: Session, key: str) -> int | None:
    """The delta recorded under `key`, if that movement happened."""
    return await repo.applied(session, key)


async def move(
    session: Session,
    user_id: uuid.UUID,
    delta: int,
    reason: str,
    key: str,
    *,
    order_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Apply a movement once; False if `key` was already applied. Only writes: the caller's
    unit of work commits.

    Raises InsufficientPoints when a debit exceeds the balance."""
    if not await repo.add_entry(
        session,
        user_id=user_id,
        delta=delta,
        reason=reason,
        key=key,
        order_id=order_id,
        expires_at=expires_at,
    ):
        return False
    if not await repo.change_balance(session, user_id, delta):
        raise InsufficientPoints()
    return True


async def take_back(
    session: Session,
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
    amount = min(wanted, await repo.balance(session, user_id, lock=True))
    await move(session, user_id, -amount, reason, key, order_id=order_id)
    return amount


async def grant(
    uow: UnitOfWork, actor: uuid.UUID, *, user_id: str, amount: int, idempotency_key: str
) -> uuid.UUID:
    """Points given by support or a campaign, once per (granter, key)."""
    session = uow.session
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
    if not await user_exists(session, target):
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
    return target


async def expire_due(db: Database, now: datetime | None = None) -> int:
    """Scheduled: accrued points past their expiry are taken back (what is left of them), one
    batch per transaction. Returns how many accruals expired."""
    now = now or datetime.now(UTC)
    async with db.transaction() as uow:
        due = await repo.due_expirations(uow.session, now, EXPIRY_BATCH)
        for entry_id, user_id, delta in due:
            await take_back(uow.session, user_id, delta, "EXPIRE", f"expire:{entry_id}", None)
    return len(due)
