"""Withdrawn customers (ID-14): points expire at once, buying stops, history stays visible
for exactly one year, then a scheduled job purges it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from persistence.database import Database
from persistence.repositories.orders import customers
from persistence.unit_of_work import UnitOfWork
from resolvers.identity import audit
from resolvers.orders import points


def history_visible_until(withdrawn_at: datetime) -> datetime:
    """The same calendar moment one year later (29 February → 28 February)."""
    try:
        return withdrawn_at.replace(year=withdrawn_at.year + 1)
    except ValueError:
        return withdrawn_at.replace(year=withdrawn_at.year + 1, day=28)


def history_visible(withdrawn_at: datetime | None, now: datetime | None = None) -> bool:
    return withdrawn_at is None or (now or datetime.now(UTC)) < history_visible_until(withdrawn_at)


async def withdraw(uow: UnitOfWork, user_id: uuid.UUID, reason: str | None) -> datetime:
    session = uow.session
    user = await customers.lock_user(session, user_id)
    assert user is not None
    if user.withdrawn_at is not None:
        return user.withdrawn_at
    user.status = "WITHDRAWN"
    user.withdrawn_at = datetime.now(UTC)
    user.version += 1
    expired = await points.take_back(
        session, user_id, 2**62, "EXPIRE", f"expire-withdrawal:{user_id}", order_id=None
    )
    audit.record(
        session,
        "identity.withdrawn",
        subject_type="user",
        subject_id=str(user_id),
        actor=user_id,
        data={"reason": (reason or "")[:500], "pointsExpired": expired},
    )
    return user.withdrawn_at


async def purge_expired_history(db: Database, now: datetime | None = None) -> int:
    """Delete the orders of customers withdrawn more than a year ago; returns how many."""
    now = now or datetime.now(UTC)
    purged = 0
    async with db.transaction() as uow:
        for user_id, withdrawn_at in await customers.withdrawn_users(uow.session):
            if history_visible(withdrawn_at, now):
                continue
            deleted = await customers.delete_orders_of(uow.session, user_id)
            if deleted:
                purged += deleted
                audit.record(
                    uow.session,
                    "orders.history_purged",
                    subject_type="user",
                    subject_id=str(user_id),
                    data={"orders": deleted},
                )
    return purged
