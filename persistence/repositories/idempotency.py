"""SQL of the idempotency store (API-6); see resolvers/idempotency.py for the rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from asyncpg.exceptions import LockNotAvailableError
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.database import Database
from persistence.models.idempotency import IdempotencyKey


class KeyBusy(Exception):
    """The key is held by a transaction that did not end within the wait."""


async def insert_key(
    session: AsyncSession,
    *,
    scope: str,
    operation: str,
    key: str,
    fingerprint: str,
    wait_ms: int,
) -> int | None:
    """The new row's id, or None when the key exists. A row still uncommitted by a concurrent
    transaction makes this statement wait for it (at most `wait_ms`, then PostgreSQL raises
    lock_not_available, raised here as KeyBusy): a replay never overtakes the request it
    repeats."""
    await session.execute(text(f"SET LOCAL lock_timeout = {int(wait_ms)}"))
    try:
        key_id = await session.scalar(
            insert(IdempotencyKey)
            .values(scope=scope, operation=operation, key=key, fingerprint=fingerprint)
            .on_conflict_do_nothing(index_elements=["scope", "operation", "key"])
            .returning(IdempotencyKey.id)
        )
    except DBAPIError as exc:
        if isinstance(exc.orig.__cause__, LockNotAvailableError):
            raise KeyBusy from None
        raise
    # Only this statement waits bounded; the use case's own row locks wait as before.
    await session.execute(text("SET LOCAL lock_timeout TO DEFAULT"))
    return key_id


async def find_key(
    session: AsyncSession, *, scope: str, operation: str, key: str
) -> tuple[int, str, dict[str, Any] | None] | None:
    """(id, fingerprint, result) of a committed key."""
    row = (
        await session.execute(
            select(IdempotencyKey.id, IdempotencyKey.fingerprint, IdempotencyKey.result).where(
                IdempotencyKey.scope == scope,
                IdempotencyKey.operation == operation,
                IdempotencyKey.key == key,
            )
        )
    ).first()
    return (row.id, row.fingerprint, row.result) if row else None


async def store_result(session: AsyncSession, key_id: int, result: dict[str, Any]) -> None:
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == key_id)
        .values(result=result, completed_at=func.now())
    )


async def purge(db: Database, *, older_than: timedelta, now: datetime, batch: int = 1000) -> int:
    """Delete finished keys older than the retention; the number deleted."""
    async with db.transaction() as unit:
        doomed = (
            select(IdempotencyKey.id)
            .where(IdempotencyKey.created_at < now - older_than, IdempotencyKey.result.is_not(None))
            .limit(batch)
            .scalar_subquery()
        )
        deleted = await unit.session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.id.in_(doomed))
        )
    return deleted.rowcount or 0
