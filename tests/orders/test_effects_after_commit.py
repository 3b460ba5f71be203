"""Saga-state announcements are outbox rows written with the state (no dual write): a crash
between the step's commit and the publish loses nothing. Periodic sweeps that are not
partitioned run in one process at a time."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text

from persistence.locks import held_alone
from server.workers import PeriodicJob, run_job
from stand_ins.process import StandIn
from tests.orders.shop import open_shop
from workflows.outbox import relay_once


async def test_saga_state_survives_a_crash_before_the_publish(
    quiet, unique_email, payment_provider: StandIn
) -> None:  # type: ignore[no-untyped-def]
    from tests.catalog.world import build_world

    world = await build_world(quiet, unique_email)
    shop = await open_shop(world, payment_provider.url)
    order_id = (await shop.buy(1))["data"]["checkout"]["order"]["id"]
    services = quiet.services
    # The saga runs to its end with no relay running: as if the process died after each
    # step's commit, before anything was published.
    while await services.sagas.run_due():
        pass
    async with services.db.read() as conn:
        saga_id = await conn.scalar(
            text("SELECT id FROM order_saga WHERE order_id = :o"), {"o": uuid.UUID(order_id)}
        )
        waiting = await conn.scalar(
            text("SELECT count(*) FROM outbox_event WHERE topic = :t AND published_at IS NULL"),
            {"t": f"topic:saga:{saga_id}"},
        )
    assert waiting == 8  # one announcement per step of the payment saga, all kept
    async with services.broker.subscribe(f"topic:saga:{saga_id}") as events:
        while await relay_once(services.db, services.broker):  # the relay starts again
            pass
        heard = [await asyncio.wait_for(events.get(), 10) for _ in range(waiting)]
    assert heard[-1] == {"state": "COMPLETED", "step": 7}


async def test_an_alone_job_runs_in_one_process_at_a_time(api) -> None:  # type: ignore[no-untyped-def]
    services = api.services
    runs: list[str] = []
    release = asyncio.Event()

    async def slow(_: object) -> int:
        runs.append("ran")
        await release.wait()
        return 1

    job = PeriodicJob("test-alone", slow, idle_seconds=1, alone=True)
    first = asyncio.create_task(run_job(job, services))
    while not runs:  # the first run holds the lock now
        await asyncio.sleep(0.01)
    # Another process (a connection of its own) finds it held and does nothing.
    assert await run_job(job, services) == 0
    async with held_alone(services.db, "periodic-job:test-alone") as mine:
        assert not mine
    assert runs == ["ran"]
    release.set()
    assert await first == 1
    async with held_alone(services.db, "periodic-job:test-alone") as mine:
        assert mine  # released with the run
