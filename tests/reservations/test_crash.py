"""RES-6: a worker process killed mid-batch (after its transaction, before acknowledging):
after a new worker takes the partition every ticket is final and the counts are exact."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.settings import Settings
from tests.accounts import customers
from tests.conftest import Api
from tests.e2e.processes import process_env, tessera
from tests.reservations.helpers import confirmed_quantity, inventory, queue_in_line, settled


async def test_worker_killed_mid_batch_loses_and_doubles_nothing(
    quiet: Api, settings: Settings, tmp_path: Path
) -> None:
    services = quiet.services
    stock = await inventory(services, 150)
    buyers = await customers(services, 300)
    ids = await queue_in_line(services, buyers, stock)  # before any worker: big batches
    await services.faults.arm("RESERVATIONS:batch:after_commit", "kill")
    # The dead worker's partition leases must run out before the next worker takes them over:
    # short ones (one worker lives at a time, so none is taken from a live owner).
    env = process_env(
        settings, TESSERA_IN_PROCESS_WORKERS="0", TESSERA_RESERVATION_LEASE_SECONDS="0.5"
    )
    with tessera(["worker"], env, tmp_path / "first.log") as first:
        for _ in range(300):
            if first.popen.poll() is not None:
                break
            await asyncio.sleep(0.1)
        assert first.popen.returncode == 17
    # The batch was committed but its tickets still say QUEUED: the crash hit in between.
    assert any(not t.final for t in (await services.tickets.get_many(ids)).values())
    with tessera(["worker"], env, tmp_path / "second.log"):
        tickets = await settled(services.tickets, ids)
    states = [t.state for t in tickets.values()]
    assert (states.count("CONFIRMED"), states.count("REJECTED")) == (150, 150)
    assert await confirmed_quantity(services, stock) == (150, 0)
