"""The saga engine's statements (workflows/saga.py): create, lease, record, read back.

Every write after the claim is fenced by the claim token: a worker whose lease expired (and
was taken over) changes nothing. The engine owns the transactions; these functions only
write into the session they are given.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.orders import Saga, SagaStep
from persistence.models.outbox import OutboxEvent

ACTIVE_STATES = ("RUNNING", "COMPENSATING")


def saga_topic(saga_id: uuid.UUID) -> str:
    return f"topic:saga:{saga_id}"


async def create(
    session: AsyncSession,
    *,
    kind: str,
    order_id: uuid.UUID,
    key: str,
    data: dict[str, Any],
    step_names: Sequence[tuple[str, str]],
    run_at: datetime,
) -> uuid.UUID:
    """A saga with its steps (name, kind) as PENDING, due at `run_at`."""
    saga = Saga(
        id=uuid.uuid4(),
        kind=kind,
        order_id=order_id,
        idempotency_key=key,
        data=data,
        next_run_at=run_at,
    )
    session.add(saga)
    await session.flush()
    session.add_all(
        SagaStep(saga_id=saga.id, position=i, name=name, kind=step_kind)
        for i, (name, step_kind) in enumerate(step_names)
    )
    await session.flush()
    return saga.id


async def claim_due(
    session: AsyncSession, *, token: str, now: datetime, lease_seconds: float
) -> uuid.UUID | None:
    """Lease the most overdue saga nobody holds (SKIP LOCKED: claimers never wait)."""
    return await session.scalar(
        text(
            """
            UPDATE order_saga SET locked_until = :now + make_interval(secs => :lease), locked_by = :token
            WHERE id = (
                SELECT id FROM order_saga
                WHERE state IN ('RUNNING', 'COMPENSATING') AND next_run_at <= :now
                  AND (locked_until IS NULL OR locked_until < :now)
                ORDER BY next_run_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id
            """
        ),
        {"lease": lease_seconds, "token": token, "now": now},
    )


@dataclass(frozen=True)
class LeasedSaga:
    kind: str
    state: str
    step: int
    data: dict[str, Any]
    order_id: uuid.UUID
    attempts: int  # of the current step so far


async def renew(
    session: AsyncSession, saga_id: uuid.UUID, token: str, until: datetime
) -> LeasedSaga | None:
    """Extend the lease and read the saga's position; None once it is not ours (or done)."""
    row = (
        await session.execute(
            update(Saga)
            .where(Saga.id == saga_id, Saga.locked_by == token, Saga.state.in_(ACTIVE_STATES))
            .values(locked_until=until)
            .returning(Saga.kind, Saga.state, Saga.step, Saga.data, Saga.order_id)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if row is None:
        return None
    attempts = await session.scalar(
        select(SagaStep.attempts).where(SagaStep.saga_id == saga_id, SagaStep.position == row.step)
    )
    return LeasedSaga(row.kind, row.state, row.step, dict(row.data), row.order_id, attempts or 0)


async def step_status(session: AsyncSession, saga_id: uuid.UUID, position: int) -> str | None:
    return await session.scalar(
        select(SagaStep.status).where(SagaStep.saga_id == saga_id, SagaStep.position == position)
    )


async def postpone(
    session: AsyncSession,
    saga_id: uuid.UUID,
    token: str,
    *,
    position: int,
    attempts: int,
    error: tuple[str, str],
    data: dict[str, Any],
    now: datetime,
    run_at: datetime,
) -> bool:
    """Give the lease back with the step due again at `run_at`; False if it was not ours."""
    owned = await session.scalar(
        update(Saga)
        .where(Saga.id == saga_id, Saga.locked_by == token)
        .values(next_run_at=run_at, locked_until=None, locked_by=None, data=data, updated_at=now)
        .returning(Saga.id)
    )
    if owned is None:
        return False
    await session.execute(
        update(SagaStep)
        .where(SagaStep.saga_id == saga_id, SagaStep.position == position)
        .values(attempts=attempts, last_error_code=error[0], last_error=error[1], updated_at=now)
    )
    return True


async def record_step(
    session: AsyncSession,
    saga_id: uuid.UUID,
    token: str,
    *,
    position: int,
    step_values: dict[str, Any],
    state: str,
    next_step: int,
    data: dict[str, Any],
    now: datetime,
    release: bool,
) -> bool:
    """Store a step's outcome and the saga's next position, and announce the new state through
    the outbox in the same transaction; False (nothing written) if the lease is not ours."""
    owned = await session.scalar(
        update(Saga)
        .where(Saga.id == saga_id, Saga.locked_by == token)
        .values(
            state=state,
            step=next_step,
            data=data,
            updated_at=now,
            next_run_at=now,
            **({"locked_until": None, "locked_by": None} if release else {}),
        )
        .returning(Saga.id)
    )
    if owned is None:
        return False
    await session.execute(
        update(SagaStep)
        .where(SagaStep.saga_id == saga_id, SagaStep.position == position)
        .values(**step_values)
    )
    session.add(OutboxEvent(topic=saga_topic(saga_id), payload={"state": state, "step": next_step}))
    return True


def lease_end(now: datetime, lease_seconds: float) -> datetime:
    return now + timedelta(seconds=lease_seconds)
