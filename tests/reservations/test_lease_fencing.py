"""RES-6: a partition owner frozen between its commit and its acknowledgement loses its lease;
the next owner decides the same entries again (changing nothing) and goes on with the line;
then the stale owner wakes and finishes its batch: the decisions stay exactly once and the
line's progress (what positions count from) does not go back."""

from __future__ import annotations

import asyncio

import pytest

from persistence.streams.reservations import partition_of
from resolvers.reservations import booking
from tests.accounts import customers
from tests.conftest import Api
from tests.reservations.helpers import confirmed_quantity, inventory, queue_in_line, settled
from tests.waiting import advance_redis_clock, eventually
from workflows.reservations import PartitionConsumer

POINT = "RESERVATIONS:batch:after_commit"
LEASE_SECONDS = 60.0  # long: only the moved Redis clock, never real time, ends it


async def test_a_stale_partition_owner_cannot_undo_the_next_owners_work(
    quiet: Api, caplog: pytest.LogCaptureFixture
) -> None:
    services = quiet.services
    stock = await inventory(services, 3)
    partition = partition_of(stock)
    done_key = services.keys.key("res", "done", str(partition))
    people = await customers(services, 6)
    first_ids = await queue_in_line(services, people[:4], stock)
    await services.faults.arm(POINT, "pause")
    stale = PartitionConsumer(services, partition, booking.ROOM, lease_seconds=LEASE_SECONDS)
    workers = [asyncio.create_task(stale.run())]
    try:
        assert await services.faults.reached(POINT), "the first owner never committed a batch"
        await advance_redis_clock(services, LEASE_SECONDS + 1)  # its lease runs out, frozen

        later_ids = await queue_in_line(services, people[4:], stock)  # the line goes on
        successor = PartitionConsumer(services, partition, booking.ROOM, lease_seconds=LEASE_SECONDS)
        workers.append(asyncio.create_task(successor.run()))
        tickets = await settled(services.tickets, first_ids + later_ids)
        last = max(t.seq for t in tickets.values())
        assert int(await services.redis.get(done_key)) == last

        await services.faults.release(POINT)  # the stale owner wakes and tries to record

        async def refused() -> bool:
            return any("lease lost" in record.getMessage() for record in caplog.records)

        await eventually(refused, what="the stale owner's write being refused")
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.wait(workers, timeout=5)
    assert int(await services.redis.get(done_key)) == last  # progress did not go back
    after = await services.tickets.get_many(first_ids + later_ids)
    assert {i: (t.state, t.reservation_id) for i, t in after.items()} == {
        i: (t.state, t.reservation_id) for i, t in tickets.items()
    }
    states = [t.state for t in after.values()]
    assert (states.count("CONFIRMED"), states.count("REJECTED")) == (3, 3)
    assert await confirmed_quantity(services, stock) == (3, 0)
