"""Reservations mutations. Requests are queued in Redis and answered with a ticket; operators'
writes go into the request's unit of work, which schema/mutations.py commits once; paying runs
its own steps (resolvers/reservations/payments.py)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.reservations import bookables, concerts, payments, requests
from schema.context import Info
from schema.money import MoneyInput
from schema.permissions import requires
from schema.reservations.inputs import ReservationRequestInput, SectionInput
from schema.reservations.types import (
    Event,
    Reservation,
    ReservationPayload,
    TicketPayload,
    ticket_view,
)


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
        return TicketPayload(ticket=await ticket_view(info, ticket))

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
        return TicketPayload(ticket=await ticket_view(info, ticket))

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
        return TicketPayload(ticket=await ticket_view(info, ticket))

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
            principal.user_id,
            reservation_id=reservation_id,
            method=payment_method,
            idempotency_key=idempotency_key,
        )
        return ReservationPayload(reservation=Reservation(row=row))

    @strawberry.mutation(extensions=requires("reservations.manage"))
    async def create_inventory(self, info: Info, name: str, total: int) -> strawberry.ID:
        created = await bookables.create_inventory(
            info.context.unit_of_work(), name=name, total=total
        )
        return strawberry.ID(str(created))

    @strawberry.mutation(extensions=requires("reservations.manage"))
    async def create_resource(self, info: Info, name: str) -> strawberry.ID:
        created = await bookables.create_resource(info.context.unit_of_work(), name=name)
        return strawberry.ID(str(created))

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
            info.context.unit_of_work(),
            name=name,
            opens_at=booking_opens_at,
            closes_at=booking_closes_at,
            payment_window_minutes=payment_window_minutes,
            price=(price.amount, price.currency),
            sections=[(s.name, s.seats) for s in sections],
        )
        return Event(row=row)
