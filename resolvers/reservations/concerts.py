"""Concert ticketing (RES-4): seats held first-come-first-served through the queue, paid
within the payment window or released; the booking window gates new holds only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from core.errors import NotFound, ValidationFailed
from persistence.database import Database
from persistence.models.reservations import Event, Reservation, Seat
from persistence.repositories import reservations as reads
from persistence.repositories.reservations import concerts as repo
from persistence.streams.reservations import Ticket, TicketStore, partition_of
from persistence.unit_of_work import UnitOfWork
from resolvers import outbox
from resolvers.reservations import requests
from resolvers.validation import required_text

MAX_SEATS = 10
EXPIRY_BATCH = 200


def event_state(event: Event, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    if now < event.booking_opens_at:
        return "SCHEDULED"
    return "OPEN" if now < event.booking_closes_at else "CLOSED"


def seat_map_topic(event_id: uuid.UUID | str) -> str:
    return f"topic:seatmap:{event_id}"


async def request_hold(
    db: Database,
    tickets: TicketStore,
    user_id: uuid.UUID,
    *,
    event_id: str,
    seat_ids: list[str],
    idempotency_key: str,
) -> Ticket:
    keyed_request, first = await requests.keyed(
        tickets,
        user_id,
        "holdSeats",
        idempotency_key,
        {"eventId": event_id, "seatIds": sorted(seat_ids)},
    )
    if first is not None:
        return first
    try:
        eid, seats = uuid.UUID(event_id), sorted({uuid.UUID(s) for s in seat_ids})
    except ValueError as exc:
        raise NotFound("no such event or seat", field="seatIds") from exc
    if not 1 <= len(seats) <= MAX_SEATS:
        raise ValidationFailed(f"hold 1..{MAX_SEATS} seats", field="seatIds")
    async with db.read() as conn:  # short: the connection is not held over Redis calls
        event = await reads.event(conn, eid)
        if event is None:
            raise NotFound("no such event", field="eventId")
        state = event_state(event)
        if state != "OPEN":
            reason = "BOOKING_CLOSED" if state == "CLOSED" else "BOOKING_NOT_OPEN"
            raise ValidationFailed(f"booking is {state.lower()}", reason=reason, field="eventId")
        known = await reads.seats_of_event(conn, eid, seats)
    if known != set(seats):
        raise NotFound("a seat is not part of this event", field="seatIds")
    request = {"event": str(eid), "seats": [str(s) for s in seats]}
    return await tickets.submit(keyed_request, "HOLD", request, partition_of(eid))


async def event(uow: UnitOfWork, event_id: str) -> Event:
    try:
        found = await repo.get_event(uow.session, uuid.UUID(event_id))
    except ValueError:
        found = None  # an id that is no uuid names no event
    if found is None:
        raise NotFound("no such event", field="id")
    return found


async def hold(
    uow: UnitOfWork, ticket: Ticket, seat_changes: list[tuple[str, str, str]]
) -> tuple[str, str | None, str | None]:
    """Decide a HOLD ticket inside the batch transaction: all seats or none."""
    session = uow.session
    event = await repo.get_event(session, uuid.UUID(ticket.request["event"]))
    assert event is not None
    if event_state(event) != "OPEN":
        return "REJECTED", "BOOKING_CLOSED", None
    seats = await repo.lock_seats(session, [uuid.UUID(s) for s in ticket.request["seats"]])
    if any(seat.status != "AVAILABLE" for seat in seats):
        return "REJECTED", "SEAT_TAKEN", None
    reservation = Reservation(
        id=uuid.uuid4(),
        ticket_id=uuid.UUID(ticket.id),
        user_id=uuid.UUID(ticket.user_id),
        status="HELD",
        event_id=event.id,
        quantity=len(seats),
        payment_due_at=datetime.now(UTC) + timedelta(minutes=event.payment_window_minutes),
    )
    session.add(reservation)
    await uow.flush()
    for seat in seats:
        seat.status, seat.reservation_id = "HELD", reservation.id
        seat_changes.append((str(event.id), str(seat.id), "HELD"))
    return "CONFIRMED", None, str(reservation.id)


async def release(
    uow: UnitOfWork, reservation: Reservation, status: str
) -> list[tuple[str, str, str]]:
    """The reservation's seats are free again; the changes, for `announce_seats`."""
    seats = await repo.lock_seats_of(uow.session, reservation.id)
    for seat in seats:
        seat.status, seat.reservation_id = "AVAILABLE", None
    reservation.status = status
    return [(str(reservation.event_id), str(seat.id), "AVAILABLE") for seat in seats]


def announce_seats(uow: UnitOfWork, changes: list[tuple[str, str, str]]) -> None:
    """Seat-map changes go to the outbox in the transaction that makes them: the relay
    (workflows/outbox.py) publishes them after the commit, even if this process dies first."""
    for event_id, seat_id, status in changes:
        outbox.emit(uow.session, seat_map_topic(event_id), {"seatId": seat_id, "status": status})


async def expire_holds(db: Database, now: datetime | None = None) -> int:
    """Scheduled: unpaid holds past their due time release their seats (one unit of work)."""
    async with db.transaction() as uow:
        due = await repo.lock_due_holds(uow.session, now or datetime.now(UTC), EXPIRY_BATCH)
        for reservation in due:
            announce_seats(uow, await release(uow, reservation, "EXPIRED"))
    return len(due)


async def create_event(
    uow: UnitOfWork,
    *,
    name: str,
    opens_at: datetime,
    closes_at: datetime,
    payment_window_minutes: int,
    price: tuple[Any, str],
    sections: list[tuple[str, int]],
) -> Event:
    from resolvers.catalog.rules import money

    if not opens_at < closes_at:
        raise ValidationFailed(
            "bookingClosesAt must be after bookingOpensAt", field="bookingClosesAt"
        )
    if not 1 <= payment_window_minutes <= 7 * 24 * 60:
        raise ValidationFailed(
            "paymentWindowMinutes must be 1..10080", field="paymentWindowMinutes"
        )
    if not sections or any(not 1 <= count <= 5000 for _, count in sections):
        raise ValidationFailed("each section holds 1..5000 seats", field="sections")
    amount, currency = money(*price, field="price")
    event = Event(
        id=uuid.uuid4(),
        name=required_text(name, "name", 200),
        booking_opens_at=opens_at,
        booking_closes_at=closes_at,
        payment_window_minutes=payment_window_minutes,
        price_amount=amount,
        currency=currency,
    )
    uow.session.add(event)
    await uow.flush()
    uow.session.add_all(
        Seat(event_id=event.id, section=required_text(section, "sections.name", 20), label=str(n))
        for section, count in sections
        for n in range(1, count + 1)
    )
    await uow.flush()
    return event
