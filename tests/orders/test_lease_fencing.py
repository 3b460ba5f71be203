"""Lease fencing (ORD-2, RES-6): a worker frozen mid-step whose lease runs out, while another
worker takes the saga over and finishes it, wakes up and tries to record its step: the write
is refused (its claim token no longer owns the saga), and the order is bought exactly once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from persistence.models.orders import Saga, SagaStep
from stand_ins.process import StandIn
from tests.conftest import Api
from tests.orders.cases import Case, Clock, new_case


async def _saga_rows(case: Case) -> tuple[Any, list[Any]]:
    """The saga's row and its steps' rows, as stored."""
    async with case.services.db.transaction() as unit:
        session = unit.session
        saga = (
            await session.execute(
                select(
                    Saga.id,
                    Saga.state,
                    Saga.step,
                    Saga.data,
                    Saga.locked_by,
                    Saga.locked_until,
                    Saga.next_run_at,
                    Saga.updated_at,
                ).where(Saga.order_id == uuid.UUID(case.order_id))
            )
        ).one()
        steps = (
            await session.execute(
                select(
                    SagaStep.position,
                    SagaStep.status,
                    SagaStep.attempts,
                    SagaStep.last_error_code,
                    SagaStep.updated_at,
                )
                .where(SagaStep.saga_id == saga.id)
                .order_by(SagaStep.position)
            )
        ).all()
    return tuple(saga), [tuple(step) for step in steps]


@pytest.mark.parametrize("phase", ["before", "after"])
async def test_a_stale_worker_waking_after_its_lease_cannot_write(
    quiet: Api, unique_email, payment_provider: StandIn, phase: str
) -> None:
    """Frozen just before the charge, or just after it (the charge happened, not yet recorded)."""
    case = await new_case(quiet, unique_email, payment_provider)
    sagas, faults, point = case.services.sagas, case.services.faults, f"PAYMENT:payment:{phase}"
    clock = Clock()
    sagas.clock = clock
    await faults.arm(point, "pause")
    stale = asyncio.create_task(sagas.run_due())
    try:
        assert await faults.reached(point), "the first worker never reached the pivot"
        frozen, _ = await _saga_rows(case)
        assert frozen[4] is not None  # locked_by: the first worker's claim

        clock.advance(sagas.lease_seconds + 1)  # its lease runs out while it is frozen
        done = await case.drive(clock=clock, tick=1)  # another claim takes over and finishes
        assert done["saga"]["state"] == "COMPLETED"
        finished = await _saga_rows(case)
        assert finished[0][4] is None  # released by the new owner

        await faults.release(point)  # the stale worker wakes and tries to record its step
        assert await asyncio.wait_for(stale, 30) == 1  # it ran its claim to the end...
    finally:
        stale.cancel()
    assert await _saga_rows(case) == finished  # ...and none of its writes landed
    order = await case.assert_bought()  # one charge, stock and points moved once
    assert order["saga"]["state"] == "COMPLETED"
