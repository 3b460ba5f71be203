"""The unit of work: one transaction that use cases write into and only its owner commits.

Owners are few and known: the GraphQL layer (one unit of work per request, committed once
after each mutation field: schema/mutations.py), each workflow step or job iteration, and the
command line. Use cases receive the unit of work (or its session), add and flush, and never
commit: a `commit()` on a session of ours from anywhere else raises `CommitOutsideUnitOfWork`,
so the rule holds at run time, not only in review.

Effects that must follow the commit are of two kinds:
- durable ones (domain events, publishes, cache invalidations other processes must see) are
  rows in the outbox, written in the same transaction and relayed afterwards
  (workflows/outbox.py): a crash between commit and relay loses nothing;
- best-effort, process-local ones (dropping this process's cached copy at once, so the next
  read here does not wait for the relay) are `after_commit` callbacks. They run only after a
  successful commit, never after a rollback; one failing is logged and does not fail the
  others or the request, because the durable copy of the effect is in the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

_log = logging.getLogger(__name__)
_COMMITTING = "tessera.unit_of_work.committing"

AfterCommit = Callable[[], Awaitable[None]]
# What use cases hand to repositories: the unit of work's session (typed here so that no layer
# above persistence imports SQLAlchemy).
Session = AsyncSession


class CommitOutsideUnitOfWork(RuntimeError):
    """A use case (or anything but a unit of work's owner) tried to commit."""


class GuardedSession(AsyncSession):
    """The session class of every unit of work: only `UnitOfWork.commit` may commit it."""

    async def commit(self) -> None:
        if not self.info.get(_COMMITTING):
            raise CommitOutsideUnitOfWork(
                "use cases flush; the unit of work commits (persistence/unit_of_work.py)"
            )
        await super().commit()


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._after_commit: list[AfterCommit] = []
        self.commits = 0

    def after_commit(self, effect: AfterCommit) -> None:
        """Run `effect` once this unit of work has committed (dropped on rollback)."""
        self._after_commit.append(effect)

    async def flush(self) -> None:
        await self.session.flush()

    async def commit(self) -> None:
        self.session.info[_COMMITTING] = True
        try:
            await self.session.commit()
        finally:
            self.session.info.pop(_COMMITTING, None)
        self.commits += 1
        effects, self._after_commit = self._after_commit, []
        for effect in effects:
            try:
                await effect()
            except Exception:  # noqa: BLE001 - the durable copy is in the outbox
                _log.warning("an after-commit effect failed", exc_info=True)

    async def rollback(self) -> None:
        self._after_commit.clear()
        await self.session.rollback()

    async def close(self) -> None:
        """Roll back whatever was not committed and give the connection back."""
        self._after_commit.clear()
        await self.session.close()
