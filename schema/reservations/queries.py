"""Reservations queries: a ticket, the caller's reservations, an event with its seats."""

from __future__ import annotations

import strawberry

from resolvers.reservations import concerts, requests
from schema.context import Info
from schema.permissions import requires
from schema.reservations.types import Event, ReservationEdge, ReservationList, Ticket, ticket_view
from schema.reservations.types import Reservation as ReservationView


@strawberry.type
class ReservationsQuery:
    @strawberry.field(extensions=requires(), name="reservationTicket")
    async def reservation_ticket_state(self, info: Info, id: strawberry.ID) -> Ticket:
        principal = await info.context.principal()
        ticket = await requests.own_ticket(info.context.services.tickets, principal.user_id, id)
        return await ticket_view(info, ticket)

    @strawberry.field(extensions=requires())
    async def my_reservations(self, info: Info, first: int = 20) -> ReservationList:
        principal = await info.context.principal()
        rows = await requests.my_reservations(info.context.unit_of_work(), principal.user_id, first)
        return ReservationList(edges=[ReservationEdge(node=ReservationView(row=r)) for r in rows])

    @strawberry.field
    async def event(self, info: Info, id: strawberry.ID) -> Event:
        return Event(row=await concerts.event(info.context.unit_of_work(), id))
