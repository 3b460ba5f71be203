"""Real PostgreSQL and Redis for the suite: embedded, or the servers named by the env."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from auth.rbac import sync_builtin_roles
from persistence.admin import admin_execute, with_database
from persistence.database import Database
from persistence.embedded import EmbeddedStores, start_embedded
from persistence.migrate import upgrade_sync

TEMPLATE = "tessera_test_template"


async def _sync_roles(url: str) -> None:
    db = Database(url, pool_size=1, max_overflow=0)
    async with db.transaction() as uow:
        await sync_builtin_roles(uow.session)
    await db.dispose()


@dataclass
class TestStores:
    database_url: str
    redis_url: str
    embedded: EmbeddedStores | None
    data_dir: Path | None = None  # the embedded servers' files, removed at the end of the run

    @classmethod
    def start(cls) -> TestStores:
        database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
        embedded, data_dir = None, None
        if not (database_url and redis_url):
            data_dir = Path(tempfile.mkdtemp(prefix="tessera-test-"))
            embedded = start_embedded(data_dir)
            database_url = database_url or embedded.database_url
            redis_url = redis_url or embedded.redis_url
        stores = cls(database_url, redis_url, embedded, data_dir)
        stores._build_template()
        return stores

    def _build_template(self) -> None:
        asyncio.run(
            admin_execute(
                self.database_url,
                f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)",
                f"CREATE DATABASE {TEMPLATE}",
            )
        )
        template_url = with_database(self.database_url, TEMPLATE)
        upgrade_sync(template_url)
        asyncio.run(_sync_roles(template_url))

    async def create_database(self) -> str:
        """A fresh database cloned from the migrated template (fast, isolated)."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        await admin_execute(self.database_url, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return name

    async def drop_database(self, name: str) -> None:
        await admin_execute(self.database_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        if self.embedded is not None:
            self.embedded.close()
            self.embedded.wait_stopped()  # the servers' files go next
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
