"""Tickets: a reservation request accepted at once and decided later by the queue (RES-1, RES-5).

A ticket lives in Redis (a hash per ticket); enqueueing is one Lua script that numbers the
request in its partition, stores the ticket and appends it to the partition's stream, so a
request is either fully queued or not at all. The position in line is the ticket's number
minus the partition's last processed number.
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from persistence.redis import Keyspace

PARTITIONS = 8
TICKET_TTL_SECONDS = 7 * 24 * 3600
FINAL = ("CONFIRMED", "REJECTED")

_ENQUEUE = """
local seq = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], 'user', ARGV[1], 'kind', ARGV[2], 'request', ARGV[3], 'state', 'QUEUED',
           'partition', ARGV[4], 'seq', seq)
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('XADD', KEYS[3], '*', 'ticket', ARGV[5], 'seq', seq)
return seq
"""


def partition_of(key: uuid.UUID | str) -> int:
    """All requests for one inventory (or resource, or event) share a partition: one line."""
    return zlib.crc32(str(key).encode()) % PARTITIONS


@dataclass(frozen=True)
class Ticket:
    id: str
    user_id: str
    kind: str  # INVENTORY, SLOT, CANCEL
    request: dict[str, Any]
    state: str  # QUEUED, CONFIRMED, REJECTED
    partition: int
    seq: int
    reason: str | None = None
    reservation_id: str | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL


class TicketStore:
    def __init__(self, redis: Redis, keys: Keyspace) -> None:
        self._redis = redis
        self._keys = keys
        self._enqueue = redis.register_script(_ENQUEUE)

    def stream(self, partition: int) -> str:
        return self._keys.key("res", "stream", str(partition))

    def _ticket_key(self, ticket_id: str) -> str:
        return self._keys.key("res", "ticket", ticket_id)

    def _done_key(self, partition: int) -> str:
        return self._keys.key("res", "done", str(partition))

    def dead_letter_stream(self) -> str:
        return self._keys.key("res", "dead")

    async def dead_letters(self, count: int = 100) -> list[dict[str, str]]:
        """The oldest dead-lettered queue entries (see workflows/dead_letters.py)."""
        return [
            fields for _, fields in await self._redis.xrange(self.dead_letter_stream(), count=count)
        ]

    def sold_out_key(self, inventory_id: str) -> str:
        return self._keys.key("res", "soldout", inventory_id)

    async def inventory_exists(
        self, inventory_id: uuid.UUID, load: Callable[[], Awaitable[object | None]]
    ) -> bool:
        """Inventories are never deleted: once seen, the request path checks Redis only."""
        key = self._keys.key("res", "inventory", str(inventory_id))
        if await self._redis.exists(key):
            return True
        if await load() is None:
            return False
        await self._redis.set(key, "1", ex=TICKET_TTL_SECONDS)
        return True

    async def is_sold_out(self, inventory_id: str) -> bool:
        return bool(await self._redis.exists(self.sold_out_key(inventory_id)))

    async def claim_request(self, user_id: str, idempotency_key: str, ticket_id: str) -> str:
        """The ticket id for this (user, key): ours if new, the first one's on a replay."""
        key = self._keys.key("res", "request", user_id, idempotency_key)
        if await self._redis.set(key, ticket_id, nx=True, ex=TICKET_TTL_SECONDS):
            return ticket_id
        return await self._redis.get(key) or ticket_id

    async def enqueue(
        self, ticket_id: str, user_id: str, kind: str, request: dict[str, Any], partition: int
    ) -> int:
        return await self._enqueue(
            keys=[
                self._keys.key("res", "seq", str(partition)),
                self._ticket_key(ticket_id),
                self.stream(partition),
            ],
            args=[user_id, kind, json.dumps(request), partition, ticket_id, TICKET_TTL_SECONDS],
        )

    async def reject_now(
        self, ticket_id: str, user_id: str, kind: str, request: dict[str, Any], reason: str
    ) -> None:
        """The fast path: decided without queueing (e.g. known sold out)."""
        key = self._ticket_key(ticket_id)
        await self._redis.hset(
            key,
            mapping={
                "user": user_id,
                "kind": kind,
                "request": json.dumps(request),
                "state": "REJECTED",
                "reason": reason,
                "partition": -1,
                "seq": 0,
            },
        )
        await self._redis.expire(key, TICKET_TTL_SECONDS)

    async def get(self, ticket_id: str) -> Ticket | None:
        data = await self._redis.hgetall(self._ticket_key(ticket_id))
        return _ticket(ticket_id, data) if data else None

    async def get_many(self, ticket_ids: list[str]) -> dict[str, Ticket]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for ticket_id in ticket_ids:
                pipe.hgetall(self._ticket_key(ticket_id))
            rows = await pipe.execute()
        return {tid: _ticket(tid, data) for tid, data in zip(ticket_ids, rows, strict=True) if data}

    async def position(self, ticket: Ticket) -> int:
        if ticket.final:
            return 0
        done = int(await self._redis.get(self._done_key(ticket.partition)) or 0)
        return max(ticket.seq - done, 1)

    def decide(
        self, pipe: Any, ticket_id: str, state: str, reason: str | None, reservation_id: str | None
    ) -> None:
        pipe.hset(
            self._ticket_key(ticket_id),
            mapping={"state": state, "reason": reason or "", "reservation": reservation_id or ""},
        )

    def mark_done(self, pipe: Any, partition: int, seq: int) -> None:
        pipe.set(self._done_key(partition), seq)


def _ticket(ticket_id: str, data: dict[str, str]) -> Ticket:
    return Ticket(
        id=ticket_id,
        user_id=data["user"],
        kind=data["kind"],
        request=json.loads(data["request"]),
        state=data["state"],
        partition=int(data["partition"]),
        seq=int(data["seq"]),
        reason=data.get("reason") or None,
        reservation_id=data.get("reservation") or None,
    )
