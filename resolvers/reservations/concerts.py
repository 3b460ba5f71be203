"""Concert ticketing (RES-4): seats held first-come-first-served through the queue, paid
within the payment window or released; the booking window gates new holds only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound, ValidationFailed
from persistence.database import Database
from persistence.models.reservations import Event, Reservation, Seat
from persistence.streams.reservations import Ticket, TicketStore, partition_of
from resolvers.reservations import requests
from resolvers.validation import required_text

MAX_SEATS = 10


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
    async with db.session() as session:  # short: the connection is not held over Redis calls
        event = await session.get(Event, eid)
        if event is None:
            raise NotFound("no such event", field="eventId")
        state = event_state(event)
        if state != "OPEN":
            reason = "BOOKING_CLOSED" if state == "CLOSED" else "BOOKING_NOT_OPEN"
            raise ValidationFailed(f"booking is {state.lower()}", reason=reason, field="eventId")
        known = set(
            await session.scalars(select(Seat.id).where(Seat.event_id == eid, Seat.id.in_(seats)))
        )
    if known != set(seats):
        raise NotFound("a seat is not part of this event", field="seatIds")
    request = {"event": str(eid), "seats": [str(s) for s in seats]}
    return await tickets.submit(keyed_request, "HOLD", request, partition_of(eid))


async def hold(
    session: AsyncSession, ticket: Ticket, seat_changes: list[tuple[str, str, str]]
) -> tuple[str, str | None, str | None]:
    """Decide a HOLD ticket inside the batch transaction: all seats or none."""
    event = await session.get(Event, uuid.UUID(ticket.request["event"]))
    assert event is not None
    if event_state(event) != "OPEN":
        return "REJECTED", "BOOKING_CLOSED", None
    seat_ids = [uuid.UUID(s) for s in ticket.request["seats"]]
    seats = list(
        await session.scalars(
            select(Seat).where(Seat.id.in_(seat_ids)).order_by(Seat.id).with_for_update()
        )
    )
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
    await session.flush()
    for seat in seats:
        seat.status, seat.reservation_id = "HELD", reservation.id
        seat_changes.append((str(event.id), str(seat.id), "HELD"))
    return "CONFIRMED", None, str(reservation.id)


async def release(
    session: AsyncSession, reservation: Reservation, status: str
) -> list[tuple[str, str, str]]:
    seats = list(
        await session.scalars(
            select(Seat).where(Seat.reservation_id == reservation.id).with_for_update()
        )
    )
    for seat in seats:
        seat.status, seat.reservation_id = "AVAILABLE", None
    reservation.status = status
    return [(str(reservation.event_id), str(seat.id), "AVAILABLE") for seat in seats]


async def publish_seats(broker: Any, changes: list[tuple[str, str, str]]) -> None:
    await broker.publish_many(
        (seat_map_topic(event_id), {"seatId": seat_id, "status": status})
        for event_id, seat_id, status in changes
    )


async def expire_holds(db: Database, broker: Any) -> int:
    """Scheduled: unpaid holds past their due time release their seats."""
    async with db.unit_of_work() as session:
        due = list(
            await session.scalars(
                select(Reservation)
                .where(
                    Reservation.status == "HELD", Reservation.payment_due_at <= datetime.now(UTC)
                )
                .order_by(Reservation.payment_due_at)
                .limit(200)
                .with_for_update(skip_locked=True)
            )
        )
        changes = []
        for reservation in due:
            changes += await release(session, reservation, "EXPIRED")
        await session.commit()
    await publish_seats(broker, changes)
    return len(due)


async def create_event(
    session: AsyncSession,
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
    session.add(event)
    await session.flush()
    session.add_all(
        Seat(event_id=event.id, section=required_text(section, "sections.name", 20), label=str(n))
        for section, count in sections
        for n in range(1, count + 1)
    )
    await session.commit()
    return event
