"""Reservations subscriptions: a live ticket (RES-5) and an event's seat map."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack, suppress

import strawberry

from resolvers.reservations import concerts, requests
from schema.context import Info
from schema.permissions import requires
from schema.reservations.types import SeatChange, Ticket


@strawberry.type
class ReservationsSubscription:
    @strawberry.subscription(
        extensions=requires(),
        description="Live ticket: position while queued, then the outcome (RES-5).",
    )
    async def reservation_ticket(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[Ticket, None]:
        principal = await info.context.principal()
        ticket = await requests.own_ticket(info.context.services.tickets, principal.user_id, id)
        await info.context.close()
        broker, tickets = info.context.services.broker, info.context.services.tickets
        await info.context.services.faults.hit("RESERVATIONS:ticket:subscribing")
        # Subscribed before each read of the ticket below: no decision slips in between.
        async with AsyncExitStack() as stack:
            decided = await stack.enter_async_context(broker.subscribe(f"topic:ticket:{id}"))
            progress = await stack.enter_async_context(
                broker.subscribe(f"topic:queue:{ticket.partition}")
            )
            interval = info.context.services.settings.reservation_position_interval_seconds
            last = None
            while True:
                ticket = await tickets.get(id) or ticket
                position = await tickets.position(ticket)
                if (ticket.state, position) != last:
                    last = (ticket.state, position)
                    yield Ticket(data=ticket, queue_position=position)
                if ticket.final:
                    return
                await _next_event(decided, progress, interval)

    @strawberry.subscription(description="Every seat status change of one event, from any process.")
    async def seat_map(
        self, info: Info, event_id: strawberry.ID
    ) -> AsyncGenerator[SeatChange, None]:
        async with info.context.services.broker.subscribe(
            concerts.seat_map_topic(event_id)
        ) as changes:
            while True:
                change = await changes.get()
                yield SeatChange(seat_id=strawberry.ID(change["seatId"]), status=change["status"])


async def _next_event(
    decided: asyncio.Queue[dict], progress: asyncio.Queue[dict], interval: float
) -> None:
    """The decision wakes a watcher at once; the line's progress at most once per interval.

    During a burst every batch moves the line: pushing each move to every waiting socket costs
    (waiting sockets x batches) and starves the requests themselves. A waiting room that
    refreshes once a second loses nothing: the outcome is never delayed."""
    with suppress(TimeoutError):
        await asyncio.wait_for(decided.get(), interval)
        return
    if progress.empty():  # the line did not move: wait for either (or 5 s, to re-read anyway)
        waits = [asyncio.ensure_future(q.get()) for q in (decided, progress)]
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED, timeout=5)
        for task in pending:
            task.cancel()
    while not progress.empty():  # everything up to now is read by the next look at the ticket
        progress.get_nowait()
