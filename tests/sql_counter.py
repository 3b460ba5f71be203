"""Counts SQL statements an engine sends while a block runs (the `count_queries` habit)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@contextmanager
def count_checkouts(engine: AsyncEngine) -> Iterator[list[object]]:
    """Connections taken from the pool while a block runs (each costs a round trip's wait)."""
    checkouts: list[object] = []

    def record(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checkouts.append(dbapi_connection)

    event.listen(engine.sync_engine, "checkout", record)
    try:
        yield checkouts
    finally:
        event.remove(engine.sync_engine, "checkout", record)
