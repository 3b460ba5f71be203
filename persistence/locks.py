"""PostgreSQL advisory locks: one holder at a time across every process on the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from persistence.database import Database

_TRY = text("SELECT pg_try_advisory_lock(hashtext(:name))")
_RELEASE = text("SELECT pg_advisory_unlock(hashtext(:name))")


@asynccontextmanager
async def held_alone(db: Database, name: str) -> AsyncIterator[bool]:
    """Try the session-level lock `name` without waiting; yields whether this process holds
    it. It is held on a connection of its own until the block ends (and dies with that
    connection, so a crashed holder never blocks the others)."""
    async with db.engine.connect() as conn:
        held = bool(await conn.scalar(_TRY, {"name": name}))
        await conn.commit()  # the lock is the session's, not the transaction's
        try:
            yield held
        finally:
            if held:
                await conn.execute(_RELEASE, {"name": name})
                await conn.commit()
