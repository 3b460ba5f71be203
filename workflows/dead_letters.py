"""Dead letters of the reservation queue (RES-6): an entry that failed `max_deliveries` times.

The entry is copied to one dead-letter stream (`<namespace>res:dead`, read it with XRANGE or
`TicketStore.dead_letters()`), its ticket is answered REJECTED with reason PROCESSING_FAILED,
it leaves its partition's stream, and an ERROR log line carrying `alert` is written for the
alerting pipeline. Only the error's class is recorded: messages may carry SQL or data.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflows.reservations import PartitionConsumer

_log = logging.getLogger(__name__)
REASON = "PROCESSING_FAILED"
ALERT = "RESERVATION_DEAD_LETTER"


async def dead_letter(
    consumer: PartitionConsumer,
    entry_id: str,
    fields: dict[str, str],
    error: Exception,
    deliveries: int,
) -> None:
    services, tickets = consumer.services, consumer.tickets
    ticket_id, seq = fields["ticket"], int(fields["seq"])
    async with services.redis.pipeline(transaction=True) as pipe:
        pipe.xadd(
            tickets.dead_letter_stream(),
            {
                "entry": entry_id,
                "partition": consumer.partition,
                "ticket": ticket_id,
                "seq": seq,
                "error": type(error).__name__,
                "deliveries": deliveries,
                "at": datetime.now(UTC).isoformat(),
            },
        )
        tickets.decide(pipe, ticket_id, "REJECTED", REASON, None)
        tickets.mark_done(pipe, consumer.partition, seq)
        pipe.xack(consumer.stream, consumer.group, entry_id)
        pipe.xdel(consumer.stream, entry_id)
        pipe.hdel(consumer.failures_key, entry_id)
        await pipe.execute()
    await services.broker.publish_many(
        [
            (f"topic:ticket:{ticket_id}", {"state": "REJECTED"}),
            (f"topic:queue:{consumer.partition}", {"done": seq}),
        ]
    )
    _log.error(
        "reservation request dead-lettered",
        extra={
            "alert": ALERT,
            "partition": consumer.partition,
            "ticket": ticket_id,
            "error": type(error).__name__,
            "deliveries": deliveries,
        },
    )
