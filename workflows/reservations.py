"""The reservation queue's consumers (RES-1, RES-5, RES-6).

Each partition is a Redis stream. Exactly one worker owns a partition at a time (a lease in
Redis, renewed while it works) and reads it through one consumer-group consumer named after
the partition, so requests for one inventory are decided in arrival order without a global
lock. A batch is decided in one PostgreSQL transaction (the consumer's unit of work,
`db.transaction()`); only then are the tickets updated, the entries acknowledged and the
outcomes published. When a worker dies, its lease expires; the next owner first re-reads the
partition's unacknowledged entries and decides them again, which changes nothing for those
already committed (idempotent by ticket id).

Publishing the ticket outcomes after the commit, outside the outbox, is safe here, and kept
by design (no outbox row per decision on the hot path): the entries are acknowledged only
after the commit, so a crash between commit and acknowledgement leaves them unacknowledged,
and they are redelivered, decided again (no change) and published then. The acknowledgement
and the tickets' new states are one Redis transaction, so a crash after it and before the
publish loses no outcome either: a watcher re-reads its ticket at least every few seconds
(schema/reservations/subscriptions.py). Seat-map changes, which nobody re-reads, are outbox
rows written in the batch's transaction (resolvers/reservations/booking.py).

A batch that fails is retried one entry at a time. An entry that keeps failing (a bug, bad
data) is counted per delivery; at `reservation_max_deliveries` it moves to the dead-letter
stream, its ticket is REJECTED with reason PROCESSING_FAILED, an alert is logged, and the
partition moves on (see dead_letters.py).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol

import redis.exceptions
from redis.exceptions import ResponseError, WatchError

from core.tasks import stop_if_cancelled
from persistence.errors import UNREACHABLE
from persistence.streams.reservations import PARTITIONS, Ticket, TicketStore
from persistence.unit_of_work import UnitOfWork
from workflows import dead_letters

_log = logging.getLogger(__name__)
GROUP = "bookers"
BATCH = 500
BLOCK_MS = 200
# A store out of reach: retried for as long as it takes, never blamed on an entry.
INFRASTRUCTURE_ERRORS = (
    OSError,
    TimeoutError,
    *UNREACHABLE,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class LeaseLost(RuntimeError):
    """This worker no longer owns the partition: the next owner decides the batch again."""


class DecidedBatch(Protocol):
    decisions: list[Any]  # each with .ticket, .state, .reason, .reservation_id
    sold_out: set[uuid.UUID]
    restocked: set[uuid.UUID]


@dataclass(frozen=True)
class BookingRoom:
    """What the reservations domain gives the queue: how one batch is decided in the
    consumer's unit of work (which it only writes to; the consumer commits)."""

    decide: Callable[[UnitOfWork, list[Ticket]], Awaitable[DecidedBatch]]


class PartitionConsumer:
    def __init__(
        self,
        services: Any,
        partition: int,
        room: BookingRoom,
        *,
        lease_seconds: float,
        batch_size: int = BATCH,
    ) -> None:
        self.services = services
        self.room = room
        self.partition = partition
        self.tickets: TicketStore = services.tickets
        self.stream = self.tickets.stream(partition)
        self.lease_key = services.keys.key("res", "lease", str(partition))
        self.lease_ms = int(lease_seconds * 1000)
        self.token = uuid.uuid4().hex
        self.batch_size = batch_size
        self.group = GROUP
        self.failures_key = services.keys.key("res", "failures", str(partition))
        self.max_deliveries = services.settings.reservation_max_deliveries
        self._renew = services.redis.register_script(_RENEW)
        self._release = services.redis.register_script(_RELEASE)

    async def run(self) -> None:
        redis = self.services.redis
        while True:
            owned = await redis.set(self.lease_key, self.token, nx=True, px=self.lease_ms)
            # after a failed round the lease may still be ours: carry on without waiting it out
            if not owned and not await self._renew(
                keys=[self.lease_key], args=[self.token, self.lease_ms]
            ):
                await asyncio.sleep(self.lease_ms / 3000)
                continue
            try:
                await self._own()
            except LeaseLost:
                _log.warning(
                    "partition lease lost; the batch is left to the next owner",
                    extra={"partition": self.partition},
                )
            except asyncio.CancelledError:
                with suppress(Exception):  # hand the partition over at once on a clean stop
                    await asyncio.wait_for(
                        self._release(keys=[self.lease_key], args=[self.token]), 1
                    )
                raise
            except Exception:  # noqa: BLE001 - drop the partition and retry; entries stay pending
                stop_if_cancelled()
                _log.exception("reservation partition failed", extra={"partition": self.partition})
                await asyncio.sleep(0.5)

    async def _own(self) -> None:
        redis = self.services.redis
        with suppress(ResponseError):  # BUSYGROUP: it exists
            await redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        start = "0"  # first whatever a dead owner left unacknowledged, then new entries
        while await self._renew(keys=[self.lease_key], args=[self.token, self.lease_ms]):
            reply = await redis.xreadgroup(
                GROUP,
                f"p{self.partition}",
                {self.stream: start},
                count=self.batch_size,
                block=BLOCK_MS,
            )
            entries = reply[0][1] if reply else []
            if start == "0" and not entries:
                start = ">"
                continue
            if entries:
                await self.decide(entries)

    async def decide(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        """Decide a batch; if it fails, one entry at a time, so one bad entry sinks only itself."""
        try:
            await self.process(entries)
            return
        except LeaseLost:
            raise  # not the entries' fault: never counted against them
        except Exception as exc:  # noqa: BLE001 - isolated below, one entry at a time
            if len(entries) == 1 or isinstance(exc, INFRASTRUCTURE_ERRORS):
                await self._failed(entries[0], exc)
                return
        for entry in entries:  # in queue order: the line's order is kept
            try:
                await self.process([entry])
            except LeaseLost:
                raise
            except Exception as exc:  # noqa: BLE001 - counted; raised again below the bound
                await self._failed(entry, exc)

    async def _failed(self, entry: tuple[str, dict[str, str]], exc: Exception) -> None:
        """Count a failed delivery; below the bound raise (the partition retries the entry later,
        still first in line), at the bound dead-letter it and let the line move on.

        A store out of reach is not the entry's fault: it is never counted."""
        if isinstance(exc, INFRASTRUCTURE_ERRORS):
            raise exc
        entry_id, fields = entry
        deliveries = await self.services.redis.hincrby(self.failures_key, entry_id, 1)
        if deliveries < self.max_deliveries:
            raise exc
        await dead_letters.dead_letter(self, entry_id, fields, exc, deliveries)

    async def process(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        services = self.services
        last_seq = max(int(fields["seq"]) for _, fields in entries)
        found = await self.tickets.get_many([fields["ticket"] for _, fields in entries])
        batch = [found[fields["ticket"]] for _, fields in entries if fields["ticket"] in found]
        async with services.db.transaction() as uow:  # commits once, at the end of the block
            outcome = await self.room.decide(uow, batch)
            await services.faults.hit("RESERVATIONS:batch:before_commit")
        await services.faults.hit(
            "RESERVATIONS:batch:after_commit"
        )  # decided, not yet acknowledged
        redis = services.redis
        async with redis.pipeline(transaction=True) as pipe:
            # Fenced: a worker whose lease another worker took while it worked (paused,
            # partitioned) must not overwrite what the new owner recorded since (the line's
            # progress would go back); its commit changed nothing the new owner does not find
            # again. A lease that merely ran out (a slow batch) is taken back.
            await pipe.watch(self.lease_key)
            if await pipe.get(self.lease_key) not in (self.token, None):
                raise LeaseLost(self.partition)
            pipe.multi()
            pipe.set(self.lease_key, self.token, px=self.lease_ms)
            for decision in outcome.decisions:
                self.tickets.decide(
                    pipe,
                    decision.ticket.id,
                    decision.state,
                    decision.reason,
                    decision.reservation_id,
                )
            for inventory in outcome.sold_out - outcome.restocked:
                pipe.set(self.tickets.sold_out_key(inventory), "1")
            for inventory in outcome.restocked:
                pipe.delete(self.tickets.sold_out_key(inventory))
            self.tickets.mark_done(pipe, self.partition, last_seq)
            ids = [entry_id for entry_id, _ in entries]
            pipe.xack(self.stream, GROUP, *ids)
            pipe.xdel(self.stream, *ids)
            pipe.hdel(self.failures_key, *ids)
            try:
                await pipe.execute()
            except WatchError as lost:  # the lease changed hands meanwhile
                raise LeaseLost(self.partition) from lost
        await services.broker.publish_many(
            [
                *((f"topic:ticket:{d.ticket.id}", {"state": d.state}) for d in outcome.decisions),
                (f"topic:queue:{self.partition}", {"done": last_seq}),
            ]
        )


async def run_reservation_workers(services: Any, room: BookingRoom) -> None:
    lease = services.settings.reservation_lease_seconds
    consumers = [
        PartitionConsumer(services, p, room, lease_seconds=lease) for p in range(PARTITIONS)
    ]
    async with asyncio.TaskGroup() as group:
        for consumer in consumers:
            group.create_task(consumer.run(), name=f"reservations-{consumer.partition}")
