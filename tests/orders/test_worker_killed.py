"""A worker process killed in the middle of any saga step: a restarted worker finishes the saga
correctly, with one charge at most (ORD-2, ORD-3, RES-6)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.settings import Settings
from stand_ins.process import StandIn
from tests.conftest import Api
from tests.e2e.processes import process_env, tessera
from tests.orders.cases import PAYMENT_STEPS, REFUND_STEPS, Case, bought_case, new_case


async def _until_final(case: Case, kind: str, timeout: float = 60) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        order = await case.shop.order(case.order_id)
        saga = order["saga"]
        if saga["kind"] == kind and saga["state"] in ("COMPLETED", "COMPENSATED", "FAILED"):
            return order
        assert asyncio.get_running_loop().time() < deadline, order
        await asyncio.sleep(0.1)


async def _kill_then_recover(
    case: Case, settings: Settings, tmp_path: Path, point: str, kind: str
) -> dict:
    await case.services.faults.arm(point, "kill")
    # The dead worker's claim must run out before the next one may take the saga: a short
    # lease (only one worker lives at a time, so none is taken from a live one).
    env = process_env(settings, TESSERA_SAGA_LEASE_SECONDS="0.5")
    with tessera(["worker"], env, tmp_path / "first.log") as first:
        for _ in range(300):
            if first.popen.poll() is not None:
                break
            await asyncio.sleep(0.1)
        assert first.popen.returncode == 17, "the worker should have died at the fault point"
    with tessera(["worker"], env, tmp_path / "second.log"):
        return await _until_final(case, kind)


@pytest.mark.parametrize("step", PAYMENT_STEPS)
async def test_payment_worker_killed(
    quiet: Api,
    settings: Settings,
    tmp_path: Path,
    unique_email,
    payment_provider: StandIn,
    step: str,
) -> None:
    case = await new_case(quiet, unique_email, payment_provider)
    done = await _kill_then_recover(case, settings, tmp_path, f"PAYMENT:{step}:after", "PAYMENT")
    assert done["saga"]["state"] == "COMPLETED"
    await case.assert_bought()


@pytest.mark.parametrize("step", REFUND_STEPS)
async def test_refund_worker_killed(
    quiet: Api,
    settings: Settings,
    tmp_path: Path,
    unique_email,
    payment_provider: StandIn,
    step: str,
) -> None:
    case = await bought_case(quiet, unique_email, payment_provider)
    await case.refund()
    done = await _kill_then_recover(case, settings, tmp_path, f"REFUND:{step}:after", "REFUND")
    assert done["saga"]["state"] == "COMPLETED"
    await case.assert_nothing_owed("REFUNDED")
