"""Event broker over Redis pub/sub (API-5).

One pub/sub connection per process; local subscribers of a topic share one
Redis subscription (reference counted), so an event published by any process
reaches every subscriber connected to any process.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.keyspace import Keyspace

_log = logging.getLogger(__name__)
_QUEUE_LIMIT = 1000  # a subscriber this far behind drops the oldest events
_CONFIRM_SECONDS = 10.0  # no confirmation by then: Redis is out of reach (UNAVAILABLE)


class Broker:
    def __init__(self, redis: Redis, keys: Keyspace) -> None:
        self._redis = redis
        self._keys = keys
        self._pubsub = redis.pubsub()
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        # set when Redis confirms a channel's SUBSCRIBE: from then on no publish is missed
        self._confirmed: dict[str, asyncio.Event] = {}
        self._lock = asyncio.Lock()
        self._subscribed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read(), name="broker-reader")

    async def stop(self) -> None:
        if self._reader:
            self._reader.cancel()
            with suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()

    def _channel(self, topic: str) -> str:
        return self._keys.namespace + topic

    async def publish(self, topic: str, payload: dict[str, Any] | str) -> int:
        return await self._redis.publish(self._channel(topic), _message(payload))

    async def publish_many(self, events: Iterable[tuple[str, dict[str, Any] | str]]) -> None:
        """Many events in one round trip (a batch of decisions publishes hundreds)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for topic, payload in events:
                pipe.publish(self._channel(topic), _message(payload))
            await pipe.execute()

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """Yield a queue receiving every event of `topic` until the block exits."""
        channel = self._channel(topic)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(_QUEUE_LIMIT)
        async with self._lock:
            first = not self._queues[channel]
            self._queues[channel].add(queue)
            if first:
                self._confirmed[channel] = asyncio.Event()
                await self._pubsub.subscribe(channel)
                self._subscribed.set()
            confirmed = self._confirmed[channel]
        try:
            # Callers read state after this returns ("subscribe, then read"): that is only
            # safe once Redis has registered the subscription, not when the command is sent.
            try:
                await asyncio.wait_for(confirmed.wait(), _CONFIRM_SECONDS)
            except TimeoutError as exc:
                raise RedisTimeoutError(f"subscription to {topic} not confirmed") from exc
            yield queue
        finally:
            async with self._lock:
                self._queues[channel].discard(queue)
                if not self._queues[channel]:
                    del self._queues[channel]
                    self._confirmed.pop(channel, None)
                    with suppress(RedisConnectionError):
                        await self._pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        while True:
            await self._subscribed.wait()  # the pub/sub connection exists after the first subscribe
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except RedisConnectionError as exc:
                _log.warning(
                    "broker lost its Redis connection; retrying", extra={"error": str(exc)}
                )
                await asyncio.sleep(0.5)
                continue
            if message is not None and message.get("type") == "subscribe":
                if (confirmed := self._confirmed.get(message["channel"])) is not None:
                    confirmed.set()
                continue
            if message is None or message.get("type") != "message":
                continue
            self._dispatch(message["channel"], message["data"])

    def _dispatch(self, channel: str, data: str) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            _log.warning("dropped a malformed event", extra={"channel": channel})
            return
        for queue in list(self._queues.get(channel, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)


def _message(payload: dict[str, Any] | str) -> str:
    return payload if isinstance(payload, str) else json.dumps(payload, default=str)
