"""Async SQLAlchemy engine and the unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)

from persistence.unit_of_work import GuardedSession, UnitOfWork


def async_url(url: str) -> str:
    """postgresql://… → postgresql+asyncpg://… (keeps unix-socket `?host=`)."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


class Database:
    """One engine per process; sessions are units of work, connections serve loaders."""

    def __init__(
        self, url: str, *, pool_size: int = 10, max_overflow: int = 30, pool_timeout: float = 30
    ) -> None:
        self.url = async_url(url)
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            pool_pre_ping=True,
            # Bound values (password hashes, e-mails) never reach exception text or logs (OPS-3).
            hide_parameters=True,
        )
        self._sessions = async_sessionmaker(
            self.engine, class_=GuardedSession, expire_on_commit=False
        )

    def begin(self) -> UnitOfWork:
        """A unit of work its caller owns: commits with `commit()`, ends with `close()`."""
        return UnitOfWork(self._sessions())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work that commits when the body ends normally and rolls back when it
        raises: the owner's one commit, for workflow steps, jobs and commands."""
        unit = self.begin()
        try:
            yield unit
            await unit.commit()
        finally:
            await unit.close()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A short read-only connection, as DataLoader batches use it."""
        async with self.engine.connect() as connection:
            yield connection

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        await self.engine.dispose()
