"""Reservations subgraph: queued bookings with live tickets, concert seats (RES-1..RES-6)."""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack, suppress
from datetime import datetime

import strawberry

from core.errors import NotFound
from persistence.models.reservations import Event as EventRow
from persistence.models.reservations import Inventory, Resource
from persistence.models.reservations import Reservation as ReservationRow
from persistence.streams.reservations import Ticket as TicketData
from resolvers.reservations import concerts, payments, requests
from schema.context import Info
from schema.money import MoneyInput
from schema.permissions import requires


@strawberry.enum
class TicketState(enum.Enum):
    QUEUED = "QUEUED"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"


@strawberry.type
class Reservation:
    row: strawberry.Private[ReservationRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def status(self) -> str:
        return self.row.status

    @strawberry.field
    def quantity(self) -> int:
        return self.row.quantity

    @strawberry.field
    def starts_at(self) -> datetime | None:
        return self.row.period.lower if self.row.period is not None else None

    @strawberry.field
    def ends_at(self) -> datetime | None:
        return self.row.period.upper if self.row.period is not None else None

    @strawberry.field
    def payment_due_at(self) -> datetime | None:
        return self.row.payment_due_at


@strawberry.type
class Ticket:
    data: strawberry.Private[TicketData]
    queue_position: strawberry.Private[int]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.data.id)

    @strawberry.field
    def state(self) -> TicketState:
        return TicketState(self.data.state)

    @strawberry.field(description="Requests ahead of this one, itself included; 0 once decided.")
    def position(self) -> int:
        return self.queue_position

    @strawberry.field
    def reason(self) -> str | None:
        return self.data.reason

    @strawberry.field
    async def reservation(self, info: Info) -> Reservation | None:
        if self.data.reservation_id is None:
            return None
        row = await info.context.loaders.reservations.reservation.load(
            uuid.UUID(self.data.reservation_id)
        )
        return Reservation(row=row) if row else None


@strawberry.type
class SeatView:
    id: strawberry.ID
    label: str
    section: str
    status: str


@strawberry.type
class Event:
    row: strawberry.Private[EventRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def booking_opens_at(self) -> datetime:
        return self.row.booking_opens_at

    @strawberry.field
    def booking_closes_at(self) -> datetime:
        return self.row.booking_closes_at

    @strawberry.field
    def payment_window_minutes(self) -> int:
        return self.row.payment_window_minutes

    @strawberry.field(description="SCHEDULED, OPEN or CLOSED (booking window).")
    def state(self) -> str:
        return concerts.event_state(self.row)

    @strawberry.field
    async def seats(self, info: Info) -> list[SeatView]:
        rows = await info.context.loaders.reservations.seats.load(self.row.id)
        return [
            SeatView(id=strawberry.ID(str(r.id)), label=r.label, section=r.section, status=r.status)
            for r in rows
        ]


@strawberry.type
class SeatChange:
    seat_id: strawberry.ID
    status: str


@strawberry.type
class ReservationEdge:
    node: Reservation


@strawberry.type
class ReservationList:
    edges: list[ReservationEdge]


@strawberry.type
class TicketPayload:
    ticket: Ticket


@strawberry.type
class ReservationPayload:
    reservation: Reservation


@strawberry.input
class ReservationRequestInput:
    idempotency_key: str
    inventory_id: strawberry.ID | None = None
    quantity: int | None = None
    resource_id: strawberry.ID | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@strawberry.input
class SectionInput:
    name: str
    seats: int


async def _ticket(info: Info, ticket_id: str) -> TicketData:
    principal = await info.context.principal()
    ticket = await info.context.services.tickets.get(ticket_id)
    if ticket is None or ticket.user_id != str(principal.user_id):
        raise NotFound("no such ticket", field="id")
    return ticket


async def _view(info: Info, ticket: TicketData) -> Ticket:
    return Ticket(data=ticket, queue_position=await info.context.services.tickets.position(ticket))


@strawberry.type
class ReservationsQuery:
    @strawberry.field(extensions=requires(), name="reservationTicket")
    async def reservation_ticket_state(self, info: Info, id: strawberry.ID) -> Ticket:
        return await _view(info, await _ticket(info, id))

    @strawberry.field(extensions=requires())
    async def my_reservations(self, info: Info, first: int = 20) -> ReservationList:
        principal = await info.context.principal()
        rows = await requests.my_reservations(
            info.context.db(), principal.user_id, max(1, min(first, 100))
        )
        return ReservationList(edges=[ReservationEdge(node=Reservation(row=r)) for r in rows])

    @strawberry.field
    async def event(self, info: Info, id: strawberry.ID) -> Event:
        try:
            row = await info.context.db().get(EventRow, uuid.UUID(id))
        except ValueError:
            row = None
        if row is None:
            raise NotFound("no such event", field="id")
        return Event(row=row)


@strawberry.type
class ReservationsMutation:
    @strawberry.mutation(
        extensions=requires(active_account=True),
        description="Accepted at once as a queued ticket (RES-1).",
    )
    async def request_reservation(
        self, info: Info, input: ReservationRequestInput
    ) -> TicketPayload:
        principal = await info.context.principal()
        ticket = await requests.request_reservation(
            info.context.services.db,
            info.context.services.tickets,
            principal.user_id,
            idempotency_key=input.idempotency_key,
            inventory_id=input.inventory_id,
            quantity=input.quantity,
            resource_id=input.resource_id,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
        )
        return TicketPayload(ticket=await _view(info, ticket))

    @strawberry.mutation(extensions=requires())
    async def cancel_reservation(
        self, info: Info, id: strawberry.ID, idempotency_key: str
    ) -> TicketPayload:
        principal = await info.context.principal()
        ticket = await requests.request_cancellation(
            info.context.services.db,
            info.context.services.tickets,
            principal.user_id,
            reservation_id=id,
            idempotency_key=idempotency_key,
        )
        return TicketPayload(ticket=await _view(info, ticket))

    @strawberry.mutation(extensions=requires(active_account=True))
    async def hold_seats(
        self,
        info: Info,
        event_id: strawberry.ID,
        seat_ids: list[strawberry.ID],
        idempotency_key: str,
    ) -> TicketPayload:
        principal = await info.context.principal()
        ticket = await concerts.request_hold(
            info.context.services.db,
            info.context.services.tickets,
            principal.user_id,
            event_id=event_id,
            seat_ids=list(seat_ids),
            idempotency_key=idempotency_key,
        )
        return TicketPayload(ticket=await _view(info, ticket))

    @strawberry.mutation(
        extensions=requires(active_account=True),
        description=(
            "Pays held seats (RES-4). Errors: VALIDATION PAYMENT_WINDOW_CLOSED or "
            "PAYMENT_REJECTED; CONFLICT HOLD_EXPIRED (the hold ended during the payment: refunded "
            "automatically), PAYMENT_IN_PROGRESS, IDEMPOTENCY_KEY_REUSED or IN_PROGRESS; "
            "UNAVAILABLE PAYMENT_PENDING (outcome being checked: ask again with the same key)."
        ),
    )
    async def pay_reservation(
        self, info: Info, reservation_id: strawberry.ID, payment_method: str, idempotency_key: str
    ) -> ReservationPayload:
        principal = await info.context.principal()
        row = await payments.pay(
            info.context.services,
            info.context.db(),
            principal.user_id,
            reservation_id=reservation_id,
            method=payment_method,
            idempotency_key=idempotency_key,
        )
        return ReservationPayload(reservation=Reservation(row=row))

    @strawberry.mutation(extensions=requires("reservations.manage"))
    async def create_inventory(self, info: Info, name: str, total: int) -> strawberry.ID:
        session = info.context.db()
        row = Inventory(
            id=uuid.uuid4(), name=name.strip()[:200], total=max(total, 0), available=max(total, 0)
        )
        session.add(row)
        await session.commit()
        return strawberry.ID(str(row.id))

    @strawberry.mutation(extensions=requires("reservations.manage"))
    async def create_resource(self, info: Info, name: str) -> strawberry.ID:
        session = info.context.db()
        row = Resource(id=uuid.uuid4(), name=name.strip()[:200])
        session.add(row)
        await session.commit()
        return strawberry.ID(str(row.id))

    @strawberry.mutation(extensions=requires("reservations.manage"))
    async def create_event(
        self,
        info: Info,
        name: str,
        booking_opens_at: datetime,
        booking_closes_at: datetime,
        payment_window_minutes: int,
        price: MoneyInput,
        sections: list[SectionInput],
    ) -> Event:
        row = await concerts.create_event(
            info.context.db(),
            name=name,
            opens_at=booking_opens_at,
            closes_at=booking_closes_at,
            payment_window_minutes=payment_window_minutes,
            price=(price.amount, price.currency),
            sections=[(s.name, s.seats) for s in sections],
        )
        return Event(row=row)


@strawberry.type
class ReservationsSubscription:
    @strawberry.subscription(
        extensions=requires(),
        description="Live ticket: position while queued, then the outcome (RES-5).",
    )
    async def reservation_ticket(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[Ticket, None]:
        ticket = await _ticket(info, id)
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
