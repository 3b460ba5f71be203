"""The unit of work owns the commit (persistence/unit_of_work.py): use cases cannot commit,
effects after commit run only after a commit, and a failing effect fails nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.settings import Settings
from persistence.database import Database
from persistence.models.outbox import OutboxEvent
from persistence.unit_of_work import CommitOutsideUnitOfWork


async def _events(db: Database, topic: str) -> int:
    async with db.read() as connection:
        return await connection.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == topic)
        )


async def test_only_the_unit_of_work_commits(settings: Settings) -> None:
    db = Database(settings.database_url)  # type: ignore[arg-type]
    try:
        unit = db.begin()
        unit.session.add(OutboxEvent(topic="t:refused", payload={}))
        with pytest.raises(CommitOutsideUnitOfWork):
            await unit.session.commit()
        await unit.close()
        assert await _events(db, "t:refused") == 0

        async with db.transaction() as unit:
            unit.session.add(OutboxEvent(topic="t:kept", payload={}))
        assert await _events(db, "t:kept") == 1
    finally:
        await db.dispose()


async def test_effects_run_after_commit_only(settings: Settings) -> None:
    db = Database(settings.database_url)  # type: ignore[arg-type]
    seen: list[str] = []

    async def effect(name: str) -> None:
        # The row is visible to another connection when the effect runs: committed first.
        seen.append(f"{name}:{await _events(db, 't:effect')}")

    async def failing() -> None:
        raise RuntimeError("effect failed")

    try:
        with pytest.raises(ZeroDivisionError):
            async with db.transaction() as unit:
                unit.session.add(OutboxEvent(topic="t:effect", payload={}))
                unit.after_commit(lambda: effect("rolled-back"))
                await unit.flush()
                1 / 0  # noqa: B018
        assert seen == []

        async with db.transaction() as unit:
            unit.session.add(OutboxEvent(topic="t:effect", payload={}))
            unit.after_commit(failing)
            unit.after_commit(lambda: effect("committed"))
        assert seen == ["committed:1"]
        assert unit.commits == 1
    finally:
        await db.dispose()
