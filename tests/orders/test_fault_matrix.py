"""Fault matrix (ORD-2, ORD-3, ORD-4, RES-6): every step of both sagas under every fault ends
consistent — money charged equals money owed (checked in the provider's own ledger), stock and
points restored when compensated."""

from __future__ import annotations

import asyncio

import pytest

from stand_ins.process import StandIn, start_payment_provider
from tests.conftest import Api
from tests.orders.cases import (
    PAYMENT_STEPS,
    POST_PIVOT_PAYMENT,
    PRE_PIVOT_PAYMENT,
    REFUND_STEPS,
    Clock,
    bought_case,
    new_case,
)


@pytest.mark.parametrize("step", PAYMENT_STEPS)
@pytest.mark.parametrize("fault", ["error", "lost"])
async def test_payment_transient_fault(
    quiet: Api, unique_email, payment_provider: StandIn, step: str, fault: str
) -> None:
    case = await new_case(quiet, unique_email, payment_provider)
    phase = (
        "before" if fault == "error" else "after"
    )  # "lost": the effect happened, its answer did not arrive
    await case.services.faults.arm(f"PAYMENT:{step}:{phase}", "error", times=2)
    done = await case.drive()
    assert done["saga"]["state"] == "COMPLETED"
    assert next(s for s in done["saga"]["steps"] if s["name"] == step)["attempts"] == 3
    await case.assert_bought()


@pytest.mark.parametrize("step", PAYMENT_STEPS)
async def test_payment_step_timeout(
    quiet: Api, unique_email, payment_provider: StandIn, step: str
) -> None:
    """The worker hangs inside the step; after its lease (moved past on the injected clock)
    another worker finishes the saga."""
    case = await new_case(quiet, unique_email, payment_provider)
    sagas, point = case.services.sagas, f"PAYMENT:{step}:before"
    clock = Clock()
    sagas.clock = clock
    await case.services.faults.arm(point, "hang")
    hung = asyncio.create_task(sagas.run_due())
    try:
        assert await case.services.faults.reached(point), "the worker never reached the step"
        clock.advance(sagas.lease_seconds + 1)
        await case.drive(clock=clock, tick=1)
        await case.assert_bought()
    finally:
        hung.cancel()


@pytest.mark.parametrize("step", PRE_PIVOT_PAYMENT)
async def test_payment_fails_before_the_pivot(
    quiet: Api, unique_email, payment_provider: StandIn, step: str
) -> None:
    case = await new_case(quiet, unique_email, payment_provider)
    await case.services.faults.arm(f"PAYMENT:{step}:after", "error", times=10)
    done = await case.drive()
    assert done["saga"]["state"] == "COMPENSATED"
    assert done["payment"]["status"] == "PENDING"
    await case.assert_nothing_owed("FAILED")


@pytest.mark.parametrize("step", POST_PIVOT_PAYMENT)
async def test_payment_cannot_finish_after_the_charge(
    quiet: Api, unique_email, payment_provider: StandIn, step: str
) -> None:
    """ORD-4, ORD-10: charged but the order cannot complete through 20 attempts (an hour apart
    on the injected clock) -> the charge is cancelled, the order FAILED, the customer told and
    an operator alerted."""
    case = await new_case(quiet, unique_email, payment_provider)
    clock = Clock()
    case.services.sagas.clock = clock
    await case.services.faults.arm(f"PAYMENT:{step}:after", "error", times=100)
    done = await case.drive(clock=clock, tick=3600)
    assert done["saga"]["state"] == "COMPENSATED"
    assert next(s for s in done["saga"]["steps"] if s["name"] == step)["attempts"] == 20
    assert done["payment"]["status"] == "CANCELLED"
    assert [c["status"] for c in await case.shop.ledger(case.order_id)] == ["CANCELLED"]
    await case.assert_nothing_owed("FAILED")
    assert "ORDER_FAILED" in await case.notifications()  # the customer is told
    assert await case.alerts() == [
        {"kind": "SAGA_GAVE_UP_AFTER_PIVOT", "step": step, "code": "STEP_ERROR"}
    ]


async def test_retries_after_the_pivot_stop_after_24_hours(
    api_factory, unique_email, payment_provider: StandIn
) -> None:  # type: ignore[no-untyped-def]
    """ORD-10's other bound: attempts 6 hours apart stop once 24 hours have passed since the
    charge; the provider refuses the first cancellations (5xx) and the compensation retries."""
    async with api_factory(run_workers_in_process=False, saga_retry_max_attempts=1000) as api:
        case = await new_case(api, unique_email, payment_provider)
        clock = Clock()
        case.services.sagas.clock = clock
        await case.services.faults.arm("PAYMENT:accrue points:before", "error", times=100)
        await case.shop.fault("cancel", "fail", times=2)
        try:
            done = await case.drive(clock=clock, tick=6 * 3600)
        finally:
            await case.shop.clear_faults()
        step = next(s for s in done["saga"]["steps"] if s["name"] == "accrue points")
        assert (done["saga"]["state"], step["attempts"]) == ("COMPENSATED", 5)
        payment = next(s for s in done["saga"]["steps"] if s["name"] == "payment")
        assert payment["status"] == "COMPENSATED"
        assert [c["status"] for c in await case.shop.ledger(case.order_id)] == ["CANCELLED"]
        await case.assert_nothing_owed("FAILED")
        assert [a["kind"] for a in await case.alerts()] == ["SAGA_GAVE_UP_AFTER_PIVOT"]


async def test_step_errors_reach_clients_as_codes_and_safe_messages(
    quiet: Api, unique_email, payment_provider: StandIn
) -> None:
    """An injected exception and a provider 5xx leave a stable code and a safe message on the
    step, never the exception's text or the provider's body."""
    case = await new_case(quiet, unique_email, payment_provider)
    await case.services.faults.arm("PAYMENT:get order:before", "error", times=1)
    await case.shop.fault("charge", "fail", times=1)
    seen: dict[str, tuple[str, str]] = {}
    deadline = asyncio.get_running_loop().time() + 30
    while len(seen) < 2:
        await case.services.sagas.run_due()
        for name, step in (await case.steps()).items():
            if step["lastErrorCode"]:
                seen[name] = (step["lastErrorCode"], step["lastError"])
        assert asyncio.get_running_loop().time() < deadline, seen
        await asyncio.sleep(0.05)
    assert seen == {
        "get order": ("STEP_ERROR", "A temporary error occurred; the step will be retried."),
        "payment": (
            "PAYMENT_PROVIDER_UNAVAILABLE",
            "The payment provider did not answer in time; retrying.",
        ),
    }
    done = await case.drive()
    assert done["saga"]["state"] == "COMPLETED"
    assert all(s["lastError"] is None for s in done["saga"]["steps"])  # success clears them
    await case.assert_bought()


@pytest.mark.parametrize(
    ("mode", "times", "outcome"),
    [
        ("fail", 2, "COMPLETED"),
        ("delay", 1, "COMPLETED"),
        ("succeed_then_timeout", 1, "COMPLETED"),
        ("fail", 20, "COMPENSATED"),
    ],
)
async def test_payment_provider_faults(
    quiet: Api, unique_email, payment_provider: StandIn, mode: str, times: int, outcome: str
) -> None:
    case = await new_case(quiet, unique_email, payment_provider)
    await case.shop.fault("charge", mode, times=times, seconds=3)  # client timeout is 2 s
    try:
        done = await case.drive()
    finally:
        await case.shop.clear_faults()
    # A delayed request lands at the provider after the saga moved on: it must change nothing.
    await case.shop.delayed_requests_landed()
    assert done["saga"]["state"] == outcome
    if outcome == "COMPLETED":
        await case.assert_bought()
    else:
        await case.assert_nothing_owed("FAILED")


@pytest.mark.parametrize("step", REFUND_STEPS)
@pytest.mark.parametrize("fault", ["error", "lost"])
async def test_refund_transient_fault(
    quiet: Api, unique_email, payment_provider: StandIn, step: str, fault: str
) -> None:
    case = await bought_case(quiet, unique_email, payment_provider)
    await case.refund()
    phase = "before" if fault == "error" else "after"
    await case.services.faults.arm(f"REFUND:{step}:{phase}", "error", times=2)
    done = await case.drive()
    assert (done["saga"]["kind"], done["saga"]["state"]) == ("REFUND", "COMPLETED")
    await case.assert_nothing_owed("REFUNDED")


@pytest.mark.parametrize("step", REFUND_STEPS[:3])
async def test_refund_fails_before_the_pivot(
    quiet: Api, unique_email, payment_provider: StandIn, step: str
) -> None:
    case = await bought_case(quiet, unique_email, payment_provider)
    await case.refund()
    await case.services.faults.arm(f"REFUND:{step}:after", "error", times=10)
    done = await case.drive()
    assert (done["saga"]["kind"], done["saga"]["state"]) == ("REFUND", "COMPENSATED")
    await case.assert_bought()  # nothing was refunded, nothing lost


@pytest.mark.parametrize("step", REFUND_STEPS[4:])
async def test_refund_keeps_going_after_the_pivot(
    quiet: Api, unique_email, payment_provider: StandIn, step: str
) -> None:
    """The money went back: the remaining steps retry until they succeed (never un-refund)."""
    case = await bought_case(quiet, unique_email, payment_provider)
    await case.refund()
    await case.services.faults.arm(f"REFUND:{step}:after", "error", times=5)
    done = await case.drive()
    assert (
        done["saga"]["state"],
        next(s for s in done["saga"]["steps"] if s["name"] == step)["attempts"],
    ) == ("COMPLETED", 6)
    await case.assert_nothing_owed("REFUNDED")


@pytest.mark.parametrize(
    ("mode", "times"), [("fail", 3), ("succeed_then_timeout", 1), ("delay", 1)]
)
async def test_refund_provider_faults(
    quiet: Api, unique_email, payment_provider: StandIn, mode: str, times: int
) -> None:
    case = await bought_case(quiet, unique_email, payment_provider)
    await case.refund()
    await case.shop.fault("cancel", mode, times=times, seconds=3)
    try:
        done = await case.drive()
    finally:
        await case.shop.clear_faults()
    await case.shop.delayed_requests_landed()  # a late request changes nothing
    assert done["saga"]["state"] == "COMPLETED"
    await case.assert_nothing_owed("REFUNDED")


async def test_payment_provider_crash_and_restart(api_factory, unique_email, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The provider process dies on the charge; once it is back the saga completes, one charge."""
    journal = tmp_path / "provider.jsonl"
    provider = start_payment_provider(journal)
    port = int(provider.url.rsplit(":", 1)[1])
    try:
        async with api_factory(
            run_workers_in_process=False, payment_provider_url=provider.url
        ) as api:
            case = await new_case(api, unique_email, provider)
            await case.shop.fault("charge", "crash")
            await case.services.sagas.run_due()
            assert provider.process.wait(10) == 1  # it crashed
            provider.stop()  # closes the pipe the crashed process left
            order = await case.shop.order(case.order_id)
            assert order["saga"]["state"] == "RUNNING" and order["payment"]["status"] == "PENDING"
            provider = start_payment_provider(journal, port=port)
            await case.drive()
            await case.assert_bought()
    finally:
        provider.stop()
