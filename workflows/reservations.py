"""The reservation queue's consumers (RES-1, RES-5, RES-6).

Each partition is a Redis stream. Exactly one worker owns a partition at a time (a lease in
Redis, renewed while it works) and reads it through one consumer-group consumer named after
the partition, so requests for one inventory are decided in arrival order without a global
lock. A batch is decided in one PostgreSQL transaction; only then are the tickets updated,
the entries acknowledged and the outcomes published. When a worker dies, its lease expires;
the next owner first re-reads the partition's unacknowledged entries and decides them again,
which changes nothing for those already committed (idempotent by ticket id).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import suppress
from typing import Any

from redis.exceptions import ResponseError

from resolvers.reservations import booking, concerts
from resolvers.reservations.tickets import PARTITIONS, TicketStore

_log = logging.getLogger(__name__)
GROUP = "bookers"
BATCH = 500
BLOCK_MS = 200

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class PartitionConsumer:
    def __init__(
        self, services: Any, partition: int, *, lease_seconds: float, batch_size: int = BATCH
    ) -> None:
        self.services = services
        self.partition = partition
        self.tickets: TicketStore = services.tickets
        self.stream = self.tickets.stream(partition)
        self.lease_key = services.keys.key("res", "lease", str(partition))
        self.lease_ms = int(lease_seconds * 1000)
        self.token = uuid.uuid4().hex
        self.batch_size = batch_size
        self._renew = services.redis.register_script(_RENEW)
        self._release = services.redis.register_script(_RELEASE)

    async def run(self) -> None:
        redis = self.services.redis
        while True:
            if not await redis.set(self.lease_key, self.token, nx=True, px=self.lease_ms):
                await asyncio.sleep(self.lease_ms / 3000)
                continue
            try:
                await self._own()
            except asyncio.CancelledError:
                with suppress(Exception):  # hand the partition over at once on a clean stop
                    await asyncio.wait_for(
                        self._release(keys=[self.lease_key], args=[self.token]), 1
                    )
                raise
            except Exception:  # noqa: BLE001 - drop the partition and retry; entries stay pending
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
                await self.process(entries)

    async def process(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        services = self.services
        last_seq = max(int(fields["seq"]) for _, fields in entries)
        found = await self.tickets.get_many([fields["ticket"] for _, fields in entries])
        batch = [found[fields["ticket"]] for _, fields in entries if fields["ticket"] in found]
        async with services.db.unit_of_work() as session:
            outcome = await booking.decide(session, batch)
            await services.faults.hit("RESERVATIONS:batch:before_commit")
            await session.commit()
        await services.faults.hit(
            "RESERVATIONS:batch:after_commit"
        )  # decided, not yet acknowledged
        redis = services.redis
        async with redis.pipeline(transaction=True) as pipe:
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
            await pipe.execute()
        await services.broker.publish_many(
            [
                *((f"topic:ticket:{d.ticket.id}", {"state": d.state}) for d in outcome.decisions),
                (f"topic:queue:{self.partition}", {"done": last_seq}),
            ]
        )
        await concerts.publish_seats(services.broker, outcome.seat_changes)


async def run_reservation_workers(services: Any) -> None:
    lease = services.settings.reservation_lease_seconds
    consumers = [PartitionConsumer(services, p, lease_seconds=lease) for p in range(PARTITIONS)]
    async with asyncio.TaskGroup() as group:
        for consumer in consumers:
            group.create_task(consumer.run(), name=f"reservations-{consumer.partition}")
