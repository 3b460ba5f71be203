"""A small persisted saga engine (ORD-2, ORD-3, RES-6).

A saga is a row with its current step; workers claim due sagas with a lease
(`FOR UPDATE SKIP LOCKED`), run one step at a time outside any lock, and
record the outcome. A worker that dies leaves the lease to expire; the next
worker re-runs the same step, so every step and compensation is idempotent
(they carry idempotency keys down to the payment provider).

Step kinds: QUERY and COMPENSATABLE run before the PIVOT; a failure there
compensates the done steps in reverse and the saga ends COMPENSATED. The
PIVOT retries while its outcome is unknown and decides itself when it has
definitively failed. RETRYABLE steps after the pivot retry with exponential
backoff; if one can never succeed the saga compensates everything, the pivot
included (ORD-4: a charge is cancelled rather than left without an order).
"""

from __future__ import annotations

import enum
import logging
import socket
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.database import Database
from persistence.models.orders import Saga, SagaStep
from workflows.faults import FaultPoints

_log = logging.getLogger(__name__)
WORKER_ID = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


class StepKind(enum.Enum):
    QUERY = "QUERY"
    COMPENSATABLE = "COMPENSATABLE"
    PIVOT = "PIVOT"
    RETRYABLE = "RETRYABLE"


class StepFailed(Exception):
    """A definitive failure: retrying cannot help (declined, insufficient points, …)."""


@dataclass
class StepContext:
    saga_id: uuid.UUID
    order_id: uuid.UUID
    attempt: int  # 1 for the first try of this step
    data: dict[str, Any]  # persisted with the saga after every step
    services: Any


Action = Callable[[StepContext], Awaitable[None]]


@dataclass(frozen=True)
class Step:
    name: str
    kind: StepKind
    run: Action
    compensate: Action | None = None


@dataclass(frozen=True)
class SagaDefinition:
    kind: str
    steps: tuple[Step, ...]
    max_attempts: int = 4  # the first try and 3 retries
    base_delay_seconds: float = 0.2
    max_delay_seconds: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.base_delay_seconds * 2 ** (attempt - 1), self.max_delay_seconds)


@dataclass
class SagaEngine:
    db: Database
    services: Any
    faults: FaultPoints
    definitions: dict[str, SagaDefinition] = field(default_factory=dict)
    lease_seconds: float = 30.0

    def register(self, definition: SagaDefinition) -> None:
        self.definitions[definition.kind] = definition

    async def start(
        self,
        session: AsyncSession,
        kind: str,
        order_id: uuid.UUID,
        key: str,
        data: dict[str, Any] | None = None,
    ) -> uuid.UUID:
        """Create a saga in the caller's transaction (it runs once that commits)."""
        definition = self.definitions[kind]
        saga = Saga(
            id=uuid.uuid4(), kind=kind, order_id=order_id, idempotency_key=key, data=data or {}
        )
        session.add(saga)
        await session.flush()
        session.add_all(
            SagaStep(saga_id=saga.id, position=i, name=s.name, kind=s.kind.value)
            for i, s in enumerate(definition.steps)
        )
        return saga.id

    async def claim(self) -> uuid.UUID | None:
        async with self.db.unit_of_work() as session:
            saga_id = await session.scalar(
                text(
                    """
                    UPDATE order_saga SET locked_until = now() + make_interval(secs => :lease), locked_by = :worker
                    WHERE id = (
                        SELECT id FROM order_saga
                        WHERE state IN ('RUNNING', 'COMPENSATING') AND next_run_at <= now()
                          AND (locked_until IS NULL OR locked_until < now())
                        ORDER BY next_run_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                    RETURNING id
                    """
                ),
                {"lease": self.lease_seconds, "worker": WORKER_ID},
            )
            await session.commit()
        return saga_id

    async def run_due(self, limit: int = 50) -> int:
        """Claim and advance due sagas until none is due (or `limit` claims)."""
        done = 0
        while done < limit and (saga_id := await self.claim()) is not None:
            await self.advance(saga_id)
            done += 1
        return done

    async def advance(self, saga_id: uuid.UUID) -> None:
        """Run the claimed saga's steps until it finishes, waits for a retry, or loses its lease."""
        while True:
            async with self.db.unit_of_work() as session:
                saga = await session.get(Saga, saga_id)
                assert saga is not None
                if saga.state not in ("RUNNING", "COMPENSATING") or saga.locked_by != WORKER_ID:
                    return
                steps = list(
                    await session.scalars(
                        select(SagaStep)
                        .where(SagaStep.saga_id == saga_id)
                        .order_by(SagaStep.position)
                    )
                )
                state, index, data, order_id, kind = (
                    saga.state,
                    saga.step,
                    dict(saga.data),
                    saga.order_id,
                    saga.kind,
                )
                attempts = steps[index].attempts + 1 if 0 <= index < len(steps) else 1
            definition = self.definitions[kind]
            if state == "RUNNING":
                finished = await self._forward(definition, saga_id, order_id, index, attempts, data)
            else:
                finished = await self._backward(
                    definition, saga_id, order_id, index, attempts, data
                )
            if finished:
                return

    async def _forward(
        self,
        definition: SagaDefinition,
        saga_id: uuid.UUID,
        order_id: uuid.UUID,
        index: int,
        attempt: int,
        data: dict,
    ) -> bool:
        step = definition.steps[index]
        context = StepContext(saga_id, order_id, attempt, data, self.services)
        point = f"{definition.kind}:{step.name}"
        try:
            await self.faults.hit(point + ":before")
            await step.run(context)
            await self.faults.hit(point + ":after")  # the effect happened; its result is "lost"
        except StepFailed as failed:
            return await self._turn_around(saga_id, index, str(failed), data)
        except Exception as error:  # noqa: BLE001 - transient until proven otherwise
            _log.warning(
                "saga step failed",
                extra={"saga": str(saga_id), "step": step.name, "error": repr(error)},
            )
            if step.kind is StepKind.PIVOT or attempt < definition.max_attempts:
                return await self._retry(
                    definition, saga_id, index, attempt, _describe(error), data
                )
            return await self._turn_around(saga_id, index, _describe(error), data)
        last = index == len(definition.steps) - 1
        await self._record(
            saga_id,
            index,
            "DONE",
            attempt,
            None,
            data,
            state="COMPLETED" if last else "RUNNING",
            next_step=index if last else index + 1,
        )
        return last

    async def _backward(
        self,
        definition: SagaDefinition,
        saga_id: uuid.UUID,
        order_id: uuid.UUID,
        index: int,
        attempt: int,
        data: dict,
    ) -> bool:
        async with self.db.unit_of_work() as session:
            status = await session.scalar(
                select(SagaStep.status).where(
                    SagaStep.saga_id == saga_id, SagaStep.position == index
                )
            )
        step = definition.steps[index]
        # A failed step may have had its effect before failing: compensations are idempotent
        # no-ops when there is nothing to undo, so they run for failed steps too.
        if status in ("DONE", "FAILED") and step.compensate is not None:
            context = StepContext(saga_id, order_id, attempt, data, self.services)
            try:
                await self.faults.hit(f"{definition.kind}:{step.name}:compensate")
                await step.compensate(context)
            except Exception as error:  # noqa: BLE001 - compensations retry until they succeed
                _log.error(
                    "compensation failed; retrying", extra={"saga": str(saga_id), "step": step.name}
                )
                return await self._retry(
                    definition, saga_id, index, attempt, _describe(error), data
                )
            status = "COMPENSATED"
        elif status == "PENDING":
            status = "SKIPPED"
        first = index == 0
        await self._record(
            saga_id,
            index,
            status,
            None,
            None,
            data,
            state="COMPENSATED" if first else "COMPENSATING",
            next_step=index if first else index - 1,
        )
        return first

    async def _turn_around(self, saga_id: uuid.UUID, index: int, error: str, data: dict) -> bool:
        """Compensate in reverse from here; past the pivot that includes the pivot (ORD-4)."""
        await self._record(
            saga_id, index, "FAILED", None, error, data, state="COMPENSATING", next_step=index
        )
        return False

    async def _retry(
        self,
        definition: SagaDefinition,
        saga_id: uuid.UUID,
        index: int,
        attempt: int,
        error: str,
        data: dict,
    ) -> bool:
        delay = definition.delay(attempt)
        async with self.db.unit_of_work() as session:
            await session.execute(
                update(SagaStep)
                .where(SagaStep.saga_id == saga_id, SagaStep.position == index)
                .values(attempts=attempt, last_error=error[:2000], updated_at=_now())
            )
            await session.execute(
                update(Saga)
                .where(Saga.id == saga_id)
                .values(
                    next_run_at=_now() + timedelta(seconds=delay),
                    locked_until=None,
                    locked_by=None,
                    data=data,
                    updated_at=_now(),
                )
            )
            await session.commit()
        return True

    async def _record(
        self,
        saga_id: uuid.UUID,
        index: int,
        status: str,
        attempts: int | None,
        error: str | None,
        data: dict,
        *,
        state: str,
        next_step: int,
    ) -> None:
        values: dict[str, Any] = {"status": status, "last_error": error, "updated_at": _now()}
        if attempts is not None:
            values["attempts"] = attempts
        async with self.db.unit_of_work() as session:
            await session.execute(
                update(SagaStep)
                .where(SagaStep.saga_id == saga_id, SagaStep.position == index)
                .values(**values)
            )
            finished = state in ("COMPLETED", "COMPENSATED", "FAILED")
            await session.execute(
                update(Saga)
                .where(Saga.id == saga_id)
                .values(
                    state=state,
                    step=next_step,
                    data=data,
                    updated_at=_now(),
                    next_run_at=_now(),
                    **({"locked_until": None, "locked_by": None} if finished else {}),
                )
            )
            await session.commit()
        await self.services.broker.publish(
            f"topic:saga:{saga_id}", {"state": state, "step": next_step}
        )


def _describe(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(error)).strip()


def _now() -> datetime:
    return datetime.now(UTC)
