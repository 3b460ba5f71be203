"""Reservations subgraph types: queued bookings with live tickets, concert seats (RES-1..RES-6)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import strawberry

from persistence.models.reservations import Event as EventRow
from persistence.models.reservations import Reservation as ReservationRow
from persistence.streams.reservations import Ticket as TicketData
from resolvers.reservations import concerts
from schema.context import Info


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


async def ticket_view(info: Info, ticket: TicketData) -> Ticket:
    return Ticket(data=ticket, queue_position=await info.context.services.tickets.position(ticket))
