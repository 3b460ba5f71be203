"""Waiting for proof instead of sleeping, and moving time instead of waiting for it.

- `eventually` polls a check until it holds, with a deadline: for "wait until X happened".
- `subscribed` waits until Redis reports a subscriber on a broker topic's channel (PUBSUB
  NUMSUB): from then on nothing published to the topic is missed.
- `expect_listening` waits until a socket's `sessionEvents` subscription listens (a fault point
  per session that the server passes, in the test environment only).
- `advance_redis_clock` lets time pass for the Redis keys of one test: expiry that lives in
  Redis TTLs (login locks, idle sessions) follows Redis's own clock, which no setting moves,
  so every TTL in the test's namespace is shortened by the same amount (a key whose TTL runs
  out is deleted), exactly what Redis would show had that time passed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
_POLL_SECONDS = 0.02

_ADVANCE = """
local by, cursor, moved = tonumber(ARGV[2]), '0', 0
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    local left = redis.call('PTTL', key)
    if left > 0 then
      if left <= by then redis.call('DEL', key) else redis.call('PEXPIRE', key, left - by) end
      moved = moved + 1
    end
  end
until cursor == '0'
return moved
"""


async def eventually(
    check: Callable[[], Awaitable[T]], *, timeout: float = 10, what: str = "the event"
) -> T:
    """The first truthy result of `check`, polled until `timeout` seconds have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (result := await check()):
        assert loop.time() < deadline, f"{what} did not happen within {timeout} s"
        await asyncio.sleep(_POLL_SECONDS)
    return result


async def subscribed(services: Any, topic: str, *, subscribers: int = 1) -> None:
    """Until Redis counts `subscribers` connections on `topic`'s channel (named as the broker
    names it: the namespace, then the topic)."""
    channel = services.keys.namespace + topic

    async def counted() -> bool:
        [(_, count)] = await services.redis.pubsub_numsub(channel)
        return int(count) >= subscribers

    await eventually(counted, what=f"a subscription to {topic}")


async def expect_listening(services: Any, session_id: str) -> Callable[[], Awaitable[None]]:
    """Arm before subscribing to sessionEvents on a socket of `session_id`; the returned
    `listens()` returns once that subscription is registered on the server (it paused there
    and is let go on)."""
    faults, point = services.faults, f"SESSION_EVENTS:listening:{session_id}"
    await faults.arm(point, "pause")

    async def listens() -> None:
        assert await faults.reached(point), "sessionEvents never listened"
        await faults.release(point)

    return listens


async def advance_redis_clock(services: Any, seconds: float) -> int:
    """Let `seconds` pass for every key with a TTL in this test's namespace; how many moved."""
    pattern = re.sub(r"([*?\[\]\\])", r"\\\1", services.keys.namespace) + "*"
    return int(await services.redis.eval(_ADVANCE, 0, pattern, int(seconds * 1000)))
