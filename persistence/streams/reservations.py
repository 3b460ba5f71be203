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

from core.errors import idempotency_key_reused
from core.keyspace import Keyspace

PARTITIONS = 8
TICKET_TTL_SECONDS = 7 * 24 * 3600
FINAL = ("CONFIRMED", "REJECTED")

# One atomic step per request (API-6): the (caller, operation, key) claim, the ticket and its
# place in the partition's stream are written together, so a key never exists without its
# ticket nor a ticket twice; a replay gets the first ticket, another request under the key
# is told so. ARGV[8] is a reason to reject at once (known sold out) instead of queueing.
_REQUEST = """
local first = redis.call('HMGET', KEYS[1], 'ticket', 'fingerprint')
if first[1] then
  if first[2] ~= ARGV[2] then return {'REUSED', first[1]} end
  return {'REPLAY', first[1]}
end
redis.call('HSET', KEYS[1], 'ticket', ARGV[1], 'fingerprint', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[7])
if ARGV[8] ~= '' then
  redis.call('HSET', KEYS[3], 'user', ARGV[3], 'kind', ARGV[4], 'request', ARGV[5],
             'state', 'REJECTED', 'reason', ARGV[8], 'partition', -1, 'seq', 0)
else
  local seq = redis.call('INCR', KEYS[2])
  redis.call('HSET', KEYS[3], 'user', ARGV[3], 'kind', ARGV[4], 'request', ARGV[5],
             'state', 'QUEUED', 'partition', ARGV[6], 'seq', seq)
  redis.call('XADD', KEYS[4], '*', 'ticket', ARGV[1], 'seq', seq)
end
redis.call('EXPIRE', KEYS[3], ARGV[7])
return {'NEW', ARGV[1]}
"""


@dataclass(frozen=True)
class Request:
    """One caller's request under an idempotency key, with its fingerprint (API-6)."""

    user_id: str
    operation: str  # requestReservation, cancelReservation, holdSeats
    key: str
    fingerprint: str


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
        self._request = redis.register_script(_REQUEST)

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
        self, inventory_id: uuid.UUID, load: Callable[[], Awaitable[bool]]
    ) -> bool:
        """Inventories are never deleted: once seen, the request path checks Redis only."""
        key = self._keys.key("res", "inventory", str(inventory_id))
        if await self._redis.exists(key):
            return True
        if not await load():
            return False
        await self._redis.set(key, "1", ex=TICKET_TTL_SECONDS)
        return True

    async def is_sold_out(self, inventory_id: str) -> bool:
        return bool(await self._redis.exists(self.sold_out_key(inventory_id)))

    def _request_key(self, request: Request) -> str:
        return self._keys.key("res", "idem", request.user_id, request.operation, request.key)

    async def replayed(self, request: Request) -> Ticket | None:
        """The ticket a first request under this key got; CONFLICT if it asked otherwise."""
        first = await self._redis.hmget(self._request_key(request), "ticket", "fingerprint")
        if first[0] is None:
            return None
        if first[1] != request.fingerprint:
            raise idempotency_key_reused()
        return await self.get(first[0])

    async def submit(
        self,
        request: Request,
        kind: str,
        body: dict[str, Any],
        partition: int,
        *,
        reject: str | None = None,
    ) -> Ticket:
        """Queue (or reject at once) under the request's key; the first ticket on a replay."""
        ticket_id = str(uuid.uuid4())
        outcome, found = await self._request(
            keys=[
                self._request_key(request),
                self._keys.key("res", "seq", str(partition)),
                self._ticket_key(ticket_id),
                self.stream(partition),
            ],
            args=[
                ticket_id,
                request.fingerprint,
                request.user_id,
                kind,
                json.dumps(body),
                partition,
                TICKET_TTL_SECONDS,
                reject or "",
            ],
        )
        if outcome == "REUSED":
            raise idempotency_key_reused()
        ticket = await self.get(found)
        assert ticket is not None, "a claimed key always has its ticket"
        return ticket

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
