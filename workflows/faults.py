"""Fault points for tests (environment `test` only): make a saga step fail, hang or kill
its worker before or after the step's effect, on demand, across processes (via Redis); or
pause at a point until the test, having acted inside that window, releases it."""

from __future__ import annotations

import asyncio
import os

from redis.asyncio import Redis

from core.keyspace import Keyspace

MODES = ("error", "hang", "kill", "pause")


class InjectedFault(RuntimeError):
    """Raised where a test asked a step to fail."""


class FaultPoints:
    def __init__(self, redis: Redis, keys: Keyspace, *, enabled: bool) -> None:
        self._redis = redis
        self._key = keys.key("faults")
        self.enabled = enabled

    async def arm(self, point: str, mode: str, times: int = 1) -> None:
        assert mode in MODES, mode
        await self._redis.hset(self._key, point, f"{mode}:{times}")

    async def clear(self) -> None:
        await self._redis.delete(self._key)

    async def hit(self, point: str, *, hang_seconds: float = 3600) -> None:
        """Fire the fault armed at `point`, if any (consumes one use)."""
        if not self.enabled:
            return
        armed = await self._redis.hget(self._key, point)
        if not armed:
            return
        mode, times = armed.split(":")
        if int(times) <= 1:
            await self._redis.hdel(self._key, point)
        else:
            await self._redis.hset(self._key, point, f"{mode}:{int(times) - 1}")
        if mode == "error":
            raise InjectedFault(point)
        if mode == "hang":  # longer than the lease: another worker takes over
            await self._redis.rpush(self._signal(point, "reached"), "1")
            await asyncio.sleep(hang_seconds)
        if mode == "kill":
            os._exit(17)  # the worker dies mid-step, as after a power cut
        if mode == "pause":  # wait here while the test acts in this very window
            await self._redis.rpush(self._signal(point, "reached"), "1")
            await self._redis.blpop([self._signal(point, "release")], timeout=min(hang_seconds, 20))

    def _signal(self, point: str, name: str) -> str:
        return f"{self._key}:{name}:{point}"

    async def reached(self, point: str, timeout: float = 10) -> bool:
        """A test waits until some process paused (or hangs) at `point`."""
        return (
            await self._redis.blpop([self._signal(point, "reached")], timeout=timeout) is not None
        )

    async def release(self, point: str) -> None:
        await self._redis.rpush(self._signal(point, "release"), "1")
