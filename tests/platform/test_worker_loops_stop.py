"""A worker loop asked to stop stops, even when a library turns the cancellation into an error
(otherwise it retries forever and the process never exits: `asyncio.run` waits for it)."""

from __future__ import annotations

import asyncio

from server.workers import PeriodicJob, _loop


async def test_a_cancellation_that_surfaces_as_an_error_still_stops_the_loop() -> None:
    running = asyncio.Event()
    runs = 0

    async def job(_: object) -> int:
        nonlocal runs
        runs += 1
        running.set()
        try:
            await asyncio.Event().wait()  # a blocking read, as XREADGROUP BLOCK is
        except asyncio.CancelledError:
            raise ConnectionError("connection closed while reading") from None
        return 1

    loop = asyncio.create_task(_loop(PeriodicJob("wrapped", job, idle_seconds=0), None))  # type: ignore[arg-type]
    await running.wait()
    loop.cancel()
    done, _ = await asyncio.wait({loop}, timeout=5)
    assert done == {loop} and loop.cancelled()
    assert runs == 1  # not retried after the stop request
