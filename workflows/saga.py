"""A small persisted saga engine (ORD-2, ORD-3, RES-6).

A saga is a row with its current step; workers claim due sagas with a lease
(`FOR UPDATE SKIP LOCKED`) and a claim token, run one step at a time outside
any lock, and record the outcome only while their token still owns the
lease. A worker that dies or hangs leaves the lease to expire; the next
worker re-runs the same step, so every step and compensation is idempotent
(they carry idempotency keys down to the payment provider).

Step kinds: QUERY and COMPENSATABLE run before the PIVOT; a failure there
compensates the done steps in reverse and the saga ends COMPENSATED. The
PIVOT retries while its outcome is unknown and decides itself when it has
definitively failed. RETRYABLE steps after the pivot retry with exponential
backoff within the engine's `RetryBound` (default 20 attempts or 24 hours since
the pivot, ORD-10); past it the saga compensates everything, the pivot included
(ORD-4: a charge is cancelled rather than left without an order), and an
operator is alerted.

Transactions: each step opens its own units of work (`db.transaction()`, one commit each; a
provider call happens between them, never inside one), and the engine records every outcome
in a unit of work of its own, fenced by the claim token. The new saga state is announced by an
outbox row written in that same transaction (no publish after the commit), so a crash between
commit and publish loses no announcement. Statements live in persistence/repositories/sagas.py.

Errors a client can see (`order_saga_step.last_error_code`, `last_error`) are
stable codes and safe messages; exception text goes only to the logs. Time
comes from the engine's `clock`, so tests move it instead of waiting.
"""

from __future__ import annotations

import enum
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from persistence.database import Database
from persistence.repositories import sagas as repo
from persistence.unit_of_work import UnitOfWork
from workflows.alerts import raise_alert
from workflows.faults import FaultPoints
from workflows.step_errors import StepFailed, loggable, public_error

_log = logging.getLogger(__name__)
WORKER_ID = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
FINAL_STATES = ("COMPLETED", "COMPENSATED", "FAILED")


class StepKind(enum.Enum):
    QUERY = "QUERY"
    COMPENSATABLE = "COMPENSATABLE"
    PIVOT = "PIVOT"
    RETRYABLE = "RETRYABLE"


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


@dataclass(frozen=True)
class RetryBound:
    """ORD-10: how long RETRYABLE steps after the pivot may keep failing before the saga
    compensates instead (whichever comes first), and their longest wait between tries."""

    max_attempts: int = 20
    max_age: timedelta = timedelta(hours=24)
    max_delay_seconds: float = 3600.0


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SagaEngine:
    db: Database
    services: Any
    faults: FaultPoints
    definitions: dict[str, SagaDefinition] = field(default_factory=dict)
    lease_seconds: float = 30.0
    retry_bound: RetryBound = field(default_factory=RetryBound)
    clock: Callable[[], datetime] = _now

    def register(self, definition: SagaDefinition) -> None:
        self.definitions[definition.kind] = definition

    async def start(
        self,
        uow: UnitOfWork,
        kind: str,
        order_id: uuid.UUID,
        key: str,
        data: dict[str, Any] | None = None,
    ) -> uuid.UUID:
        """Create a saga in the caller's unit of work (it runs once that commits)."""
        definition = self.definitions[kind]
        return await repo.create(
            uow.session,
            kind=kind,
            order_id=order_id,
            key=key,
            data=data or {},
            step_names=[(s.name, s.kind.value) for s in definition.steps],
            run_at=self.clock(),
        )

    async def claim(self) -> tuple[uuid.UUID, str] | None:
        """Lease one due saga; the token proves ownership on every later write."""
        token = f"{WORKER_ID}:{uuid.uuid4().hex[:8]}"
        async with self.db.transaction() as uow:
            saga_id = await repo.claim_due(
                uow.session, token=token, now=self.clock(), lease_seconds=self.lease_seconds
            )
        return (saga_id, token) if saga_id else None

    async def run_due(self, limit: int = 50) -> int:
        """Claim and advance due sagas until none is due (or `limit` claims)."""
        done = 0
        while done < limit and (claimed := await self.claim()) is not None:
            await self.advance(*claimed)
            done += 1
        return done

    async def advance(self, saga_id: uuid.UUID, token: str) -> None:
        """Run the claimed saga's steps until it finishes, waits for a retry, or loses its lease."""
        while True:
            async with self.db.transaction() as uow:
                leased = await repo.renew(
                    uow.session, saga_id, token, repo.lease_end(self.clock(), self.lease_seconds)
                )
            if leased is None:
                return  # finished, or the lease expired and another worker owns it now
            run = _Run(
                self,
                self.definitions[leased.kind],
                saga_id,
                token,
                leased.order_id,
                leased.step,
                leased.attempts + 1,
                leased.data,
            )
            finished = await (run.forward() if leased.state == "RUNNING" else run.backward())
            if finished:
                return


@dataclass
class _Run:
    """One step of one saga by one lease holder."""

    engine: SagaEngine
    definition: SagaDefinition
    saga_id: uuid.UUID
    token: str
    order_id: uuid.UUID
    index: int
    attempt: int
    data: dict[str, Any]

    @property
    def step(self) -> Step:
        return self.definition.steps[self.index]

    def _context(self) -> StepContext:
        return StepContext(
            self.saga_id, self.order_id, self.attempt, self.data, self.engine.services
        )

    async def forward(self) -> bool:
        point = f"{self.definition.kind}:{self.step.name}"
        try:
            await self.engine.faults.hit(point + ":before")
            await self.step.run(self._context())
            await self.engine.faults.hit(
                point + ":after"
            )  # the effect happened; its answer is "lost"
        except StepFailed as failed:
            _log.info(
                "saga step failed for good",
                extra={"saga": str(self.saga_id), "step": self.step.name, "code": failed.code},
            )
            return await self._turn_around((failed.code, failed.message))
        except Exception as error:  # noqa: BLE001 - transient until proven otherwise
            _log.warning(
                "saga step failed",
                extra={"saga": str(self.saga_id), "step": self.step.name, "error": loggable(error)},
            )
            if not (self._may_give_up() and self._exhausted()):
                return await self._retry(public_error(error))
            return await self._turn_around(public_error(error), gave_up=True)
        if self.step.kind is StepKind.PIVOT:
            self.data["pivot_at"] = self.engine.clock().isoformat()  # ORD-10 counts from here
        last = self.index == len(self.definition.steps) - 1
        return await self._record(
            "DONE",
            self.attempt,
            None,
            state="COMPLETED" if last else "RUNNING",
            next_step=self.index if last else self.index + 1,
        )

    def _exhausted(self) -> bool:
        if self.step.kind is not StepKind.RETRYABLE:
            return self.attempt >= self.definition.max_attempts
        bound = self.engine.retry_bound
        if self.attempt >= bound.max_attempts:
            return True
        pivot_at = self.data.get("pivot_at")  # absent in sagas pivoted before it was recorded
        return pivot_at is not None and (
            self.engine.clock() - datetime.fromisoformat(pivot_at) >= bound.max_age
        )

    def _may_give_up(self) -> bool:
        """Before the pivot a step may fail the saga; the pivot never gives up while its outcome is
        unknown; after it, only if the pivot can be compensated (a refund can't be un-refunded)."""
        if self.step.kind is StepKind.PIVOT:
            return False
        if self.step.kind is StepKind.RETRYABLE:
            pivot = next(s for s in self.definition.steps if s.kind is StepKind.PIVOT)
            return pivot.compensate is not None
        return True

    async def backward(self) -> bool:
        async with self.engine.db.transaction() as uow:
            status = await repo.step_status(uow.session, self.saga_id, self.index)
        # A failed step may have had its effect before failing: compensations are idempotent
        # no-ops when there is nothing to undo, so they run for failed steps too.
        if status in ("DONE", "FAILED") and self.step.compensate is not None:
            try:
                await self.engine.faults.hit(f"{self.definition.kind}:{self.step.name}:compensate")
                await self.step.compensate(self._context())
            except Exception as error:  # noqa: BLE001 - compensations retry until they succeed
                _log.error(
                    "compensation failed; retrying",
                    extra={
                        "saga": str(self.saga_id),
                        "step": self.step.name,
                        "error": loggable(error),
                    },
                )
                return await self._retry(public_error(error))
            status = "COMPENSATED"
        elif status == "PENDING":
            status = "SKIPPED"
        first = self.index == 0
        return await self._record(
            status,
            None,
            None,
            state="COMPENSATED" if first else "COMPENSATING",
            next_step=self.index if first else self.index - 1,
        )

    async def _turn_around(self, error: tuple[str, str], *, gave_up: bool = False) -> bool:
        """Compensate in reverse from here; past the pivot that includes the pivot (ORD-4).
        Giving up on a step past the pivot alerts an operator (ORD-10)."""
        alert = None
        if gave_up and self.step.kind is StepKind.RETRYABLE:
            alert = {"saga": str(self.saga_id), "step": self.step.name, "code": error[0]}
        await self._record(
            "FAILED", self.attempt, error, state="COMPENSATING", next_step=self.index, alert=alert
        )
        return False

    def _delay(self) -> float:
        if self.step.kind is StepKind.RETRYABLE:
            bound = self.engine.retry_bound.max_delay_seconds
            return min(self.definition.base_delay_seconds * 2 ** (self.attempt - 1), bound)
        return self.definition.delay(self.attempt)

    async def _retry(self, error: tuple[str, str]) -> bool:
        delay = self._delay()
        now = self.engine.clock()
        async with self.engine.db.transaction() as uow:
            await repo.postpone(
                uow.session,
                self.saga_id,
                self.token,
                position=self.index,
                attempts=self.attempt,
                error=error,
                data=self.data,
                now=now,
                run_at=now + timedelta(seconds=delay),
            )
        return True

    async def _record(
        self,
        status: str,
        attempts: int | None,
        error: tuple[str, str] | None,
        *,
        state: str,
        next_step: int,
        alert: dict[str, str] | None = None,
    ) -> bool:
        """Store the step's outcome if this run still holds the lease; True when the run stops."""
        finished = state in FINAL_STATES
        now = self.engine.clock()
        values: dict[str, Any] = {
            "status": status,
            "last_error_code": error[0] if error else None,
            "last_error": error[1] if error else None,
            "updated_at": now,
        }
        if attempts is not None:
            values["attempts"] = attempts
        # The new state reaches subscribers through the outbox row written with it: a crash
        # right after the commit loses no announcement.
        async with self.engine.db.transaction() as uow:
            owned = await repo.record_step(
                uow.session,
                self.saga_id,
                self.token,
                position=self.index,
                step_values=values,
                state=state,
                next_step=next_step,
                data=self.data,
                now=now,
                release=finished,
            )
            if owned and alert is not None:
                raise_alert(uow.session, "SAGA_GAVE_UP_AFTER_PIVOT", **alert)
        # Not ours any more: the new owner re-runs this (idempotent) step.
        return finished or not owned
