"""Apply Alembic migrations programmatically (used by `tessera migrate` and tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from persistence.database import async_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    return config


def upgrade_sync(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


async def upgrade(database_url: str) -> None:
    """env.py runs its own event loop, so migrate from a worker thread."""
    await asyncio.to_thread(upgrade_sync, database_url)


class SchemaBehind(RuntimeError):
    """The database's schema is older than this code's migrations (or was never migrated)."""

    def __init__(self, current: tuple[str, ...], heads: tuple[str, ...]) -> None:
        at = ", ".join(current) or "no schema"
        super().__init__(
            f"the database schema is not up to date ({at}; this version needs "
            f"{', '.join(heads)}): run `tessera migrate`"
        )


def _current_revisions(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


async def check_schema(database_url: str) -> None:
    """Raises SchemaBehind unless the database is at this code's migration heads."""
    heads = tuple(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    engine = create_async_engine(async_url(database_url), hide_parameters=True)
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(_current_revisions)
    finally:
        await engine.dispose()
    if set(current) != set(heads):
        raise SchemaBehind(current, heads)
