"""Inventories, resources and overdue holds for reservation tests, made directly in the database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, update

from persistence.models.outbox import OutboxEvent
from persistence.models.reservations import Inventory, Reservation, Resource, Seat
from persistence.streams.reservations import Ticket, TicketStore
from resolvers.reservations.requests import request_reservation


async def inventory(services, total: int) -> uuid.UUID:  # type: ignore[no-untyped-def]
    inventory_id = uuid.uuid4()
    async with services.db.transaction() as uow:
        session = uow.session
        session.add(Inventory(id=inventory_id, name="Flash sale", total=total, available=total))
    return inventory_id


async def resource(services) -> uuid.UUID:  # type: ignore[no-untyped-def]
    resource_id = uuid.uuid4()
    async with services.db.transaction() as uow:
        session = uow.session
        session.add(Resource(id=resource_id, name="Court 1"))
    return resource_id


async def queue_request(services, user_id: uuid.UUID, **kwargs) -> str:  # type: ignore[no-untyped-def]
    """One request with a fresh idempotency key, queued directly; its ticket's id."""
    ticket = await request_reservation(
        services.db, services.tickets, user_id, idempotency_key=uuid.uuid4().hex, **kwargs
    )
    return ticket.id


async def queue_in_line(services, people: list[uuid.UUID], inventory_id: uuid.UUID) -> list[str]:  # type: ignore[no-untyped-def]
    """One unit for each person, queued one after another in this order; the tickets' ids."""
    return [
        await queue_request(services, person, inventory_id=str(inventory_id), quantity=1)
        for person in people
    ]


async def settled(tickets: TicketStore, ids: list[str], timeout: float = 60) -> dict[str, Ticket]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await tickets.get_many(ids)
        if all(t.final for t in found.values()) and len(found) == len(ids):
            return found
        assert asyncio.get_running_loop().time() < deadline, [
            t for t in found.values() if not t.final
        ][:3]
        await asyncio.sleep(0.1)


async def confirmed_quantity(services, inventory_id: uuid.UUID) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(sum of live reservations' quantities, inventory available)."""
    async with services.db.transaction() as uow:
        session = uow.session
        held = await session.scalar(
            select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                Reservation.inventory_id == inventory_id, Reservation.status == "CONFIRMED"
            )
        )
        available = await session.scalar(
            select(Inventory.available).where(Inventory.id == inventory_id)
        )
    return int(held), int(available)


async def overdue(
    services, *, reservation_id: str | None = None, event_id: str | None = None
) -> None:  # type: ignore[no-untyped-def]
    """Let the payment window of one hold (or of every hold of an event) run out now."""
    column, value = ("id", reservation_id) if reservation_id else ("event_id", event_id)
    async with services.db.transaction() as uow:
        session = uow.session
        await session.execute(
            text(
                "UPDATE reservation_reservation SET payment_due_at = now() - interval '1 second' "
                f"WHERE {column} = :v"
            ),
            {"v": value},
        )


async def close_booking(services, event_id: str) -> None:  # type: ignore[no-untyped-def]
    """Let the booking window of an event run out now (its closing moved, not waited for)."""
    async with services.db.transaction() as uow:
        await uow.session.execute(
            text(
                "UPDATE reservation_event SET booking_closes_at = now() - interval '1 second' "
                "WHERE id = :e"
            ),
            {"e": event_id},
        )


async def held(services, user_id: uuid.UUID, event_id: str, seat_ids: list[str]) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """A hold of these seats, payable for ten minutes, made directly (no queue worker)."""
    reservation_id = uuid.uuid4()
    async with services.db.transaction() as uow:
        uow.session.add(
            Reservation(
                id=reservation_id,
                ticket_id=uuid.uuid4(),
                user_id=user_id,
                status="HELD",
                event_id=uuid.UUID(event_id),
                quantity=len(seat_ids),
                payment_due_at=datetime.now(UTC) + timedelta(minutes=10),
            )
        )
        await uow.flush()
        await uow.session.execute(
            update(Seat)
            .where(Seat.id.in_([uuid.UUID(s) for s in seat_ids]))
            .values(status="HELD", reservation_id=reservation_id)
        )
    return reservation_id


async def unpublished(services, topic: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """Payloads the outbox holds for `topic` that no relay has published yet."""
    async with services.db.transaction() as uow:
        rows = await uow.session.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.topic == topic, OutboxEvent.published_at.is_(None))
            .order_by(OutboxEvent.id)
        )
        return list(rows)
