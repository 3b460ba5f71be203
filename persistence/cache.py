"""Hot-read cache (CAT-9): a small in-process TTL/LRU in front of Redis, invalidated
across every process on write.

An invalidation bumps a per-key generation in Redis, deletes the value, bumps the cache's
overall generation and broadcasts the key; every process drops it from its local LRU.
Readers that loaded from the database write back only if the generation is still the one
they saw before reading, so a slow reader can never put a stale value back after an
invalidation.

Writers never invalidate outside their transaction (a crash in between would leave stale
values for a TTL): `invalidate_on_commit` writes an outbox row in the writer's unit of work,
which the outbox relay turns into `invalidate` (idempotent, so at least once is fine), and
also invalidates right after the commit in this process, so the writer reads its write.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from cachetools import TTLCache
from redis.asyncio import Redis

from core.keyspace import Keyspace
from persistence.models.outbox import OutboxEvent
from persistence.unit_of_work import UnitOfWork
from subscriptions.broker import Broker

_log = logging.getLogger(__name__)
# Broker topic: every process drops the names from its local copy.
INVALIDATION_TOPIC = "topic:cache-invalidation"
# Outbox topic: not published as such; the relay runs `Cache.run_invalidation` with it.
INVALIDATION_EFFECT = "effect:cache-invalidation"

# KEYS: values..., then generations...; ARGV: ttl, json values..., expected generations...
_SET_IF_GENERATION = """
local n = #KEYS / 2
local ttl = tonumber(ARGV[1])
local written = 0
for i = 1, n do
  local current = redis.call('GET', KEYS[n + i]) or ''
  if current == ARGV[1 + n + i] then
    redis.call('SET', KEYS[i], ARGV[1 + i], 'EX', ttl)
    written = written + 1
  end
end
return written
"""


def _default(value: Any) -> Any:
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot cache {type(value).__name__}")


class Cache:
    def __init__(
        self,
        redis: Redis,
        keys: Keyspace,
        broker: Broker,
        *,
        ttl_seconds: int = 300,
        local_size: int = 2048,
        local_ttl_seconds: float = 10.0,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._broker = broker
        self._ttl = ttl_seconds
        self._local: TTLCache[str, Any] = TTLCache(maxsize=local_size, ttl=local_ttl_seconds)
        self._set_if_generation = redis.register_script(_SET_IF_GENERATION)
        # Apart from the value keys ("cache:<name>"): no entry name can collide with it.
        self._overall_generation_key = keys.key("cache-generation")
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        ready = asyncio.Event()
        self._listener = asyncio.create_task(self._listen(ready), name="cache-invalidation")
        await ready.wait()

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with suppress(asyncio.CancelledError):
                await self._listener

    async def _listen(self, ready: asyncio.Event) -> None:
        async with self._broker.subscribe(INVALIDATION_TOPIC) as events:
            ready.set()
            while True:
                event = await events.get()
                for name in event.get("names", []):
                    self._local.pop(name, None)

    def _value_key(self, name: str) -> str:
        return self._keys.key("cache", name)

    def _generation_key(self, name: str) -> str:
        return self._keys.key("cache-gen", name)

    async def get_many(
        self, names: Sequence[str], load: Callable[[list[str]], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """Values by name: local, then Redis, then `load` (JSON-able values) for the rest."""
        found: dict[str, Any] = {}
        remote = []
        for name in names:
            if name in self._local:
                found[name] = self._local[name]
            else:
                remote.append(name)
        if not remote:
            return found
        raw = await self._redis.mget(
            [self._value_key(n) for n in remote] + [self._generation_key(n) for n in remote]
        )
        values, generations = raw[: len(remote)], raw[len(remote) :]
        missing = []
        for name, value in zip(remote, values, strict=True):
            if value is None:
                missing.append(name)
            else:
                found[name] = self._local[name] = json.loads(value)
        if missing:
            loaded = await load(missing)
            seen = dict(zip(remote, generations, strict=True))
            found.update(await self._store(loaded, {name: seen[name] for name in loaded}))
        return found

    async def _store(
        self, loaded: dict[str, Any], generations: dict[str, str | None]
    ) -> dict[str, Any]:
        """Write back what is still current; return the values as JSON (the shape hits have)."""
        if not loaded:
            return {}
        names = list(loaded)
        encoded = [json.dumps(loaded[n], default=_default) for n in names]
        await self._set_if_generation(
            keys=[self._value_key(n) for n in names] + [self._generation_key(n) for n in names],
            args=[self._ttl, *encoded, *[generations[n] or "" for n in names]],
        )
        decoded = {name: json.loads(text) for name, text in zip(names, encoded, strict=True)}
        self._local.update(decoded)
        return decoded

    async def peek(self, name: str) -> Any | None:
        """One value if cached (local, then Redis), without loading it."""
        if name in self._local:
            return self._local[name]
        raw = await self._redis.get(self._value_key(name))
        if raw is None:
            return None
        value = self._local[name] = json.loads(raw)
        return value

    async def put(self, name: str, value: Any, *, max_bytes: int) -> None:
        """Store a value whose name already encodes its freshness (e.g. a generation)."""
        text = json.dumps(value, default=_default)
        if len(text) <= max_bytes:
            await self._redis.set(self._value_key(name), text, ex=self._ttl)
            self._local[name] = value

    async def generation(self) -> str:
        """Changes on every invalidation: keys derived from it go stale together."""
        return await self._redis.get(self._overall_generation_key) or "0"

    def invalidate_on_commit(self, uow: UnitOfWork, *names: str) -> None:
        """Make `names` stale once `uow` commits: durably through the outbox (same
        transaction), and at once in this process after the commit (best effort)."""
        if not names:
            return
        uow.session.add(OutboxEvent(topic=INVALIDATION_EFFECT, payload={"names": list(names)}))
        uow.after_commit(lambda: self.invalidate(*names))

    async def run_invalidation(self, payload: dict[str, Any]) -> None:
        """The outbox relay's handler for INVALIDATION_EFFECT rows."""
        await self.invalidate(*payload.get("names", []))

    async def invalidate(self, *names: str) -> None:
        """Drop the names here, in Redis and in every process. Idempotent; writers call
        `invalidate_on_commit` rather than this."""
        if not names:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(self._overall_generation_key)
            for name in names:
                pipe.incr(self._generation_key(name))
                pipe.expire(self._generation_key(name), self._ttl * 2)
                pipe.delete(self._value_key(name))
            await pipe.execute()
        for name in names:
            self._local.pop(name, None)
        await self._broker.publish(INVALIDATION_TOPIC, {"names": list(names)})
