"""Deciding a batch of queued requests of one partition in one transaction (RES-1..RES-3, RES-6).

PostgreSQL is the source of truth: inventory rows are locked in a fixed order and decremented
relative to their current value under `CHECK (available >= 0)`, so no interleaving — not even
two workers on one partition — can oversell. A request decided before a crash is found again
by its ticket id (unique on the reservation), so replaying a batch changes nothing.

Seat-map changes are outbox rows of the batch's transaction: the seat maps learn of a change
even when the worker dies between its commit and its publishes (a replayed batch finds its
tickets decided and adds no second row).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from persistence.models.reservations import Reservation
from persistence.repositories.reservations import queue
from persistence.streams.reservations import Ticket
from persistence.unit_of_work import UnitOfWork
from resolvers.reservations import concerts, payments
from workflows.reservations import BookingRoom


@dataclass(frozen=True)
class Decision:
    ticket: Ticket
    state: str  # CONFIRMED or REJECTED
    reason: str | None = None
    reservation_id: str | None = None


@dataclass
class BatchOutcome:
    decisions: list[Decision]
    sold_out: set[str]  # inventories with nothing left
    restocked: set[str]  # inventories a cancellation gave stock back to
    seat_changes: list[tuple[str, str, str]]  # (event, seat, status), also in the outbox


async def decide(uow: UnitOfWork, batch: list[Ticket]) -> BatchOutcome:
    """Decide every ticket of the batch, in queue order, in the caller's unit of work (the
    queue consumer's transaction); seat changes go to the outbox in it."""
    session = uow.session
    made = await queue.reservations_of_tickets(session, [uuid.UUID(t.id) for t in batch])
    wanted = {uuid.UUID(t.request["inventory"]) for t in batch if t.kind == "INVENTORY"}
    available = await queue.lock_stock(session, list(wanted))
    outcome = BatchOutcome([], set(), set(), [])
    taken: dict[uuid.UUID, int] = {}
    for ticket in sorted(batch, key=lambda t: t.seq):
        if uuid.UUID(ticket.id) in made:
            outcome.decisions.append(
                Decision(ticket, "CONFIRMED", reservation_id=str(made[uuid.UUID(ticket.id)]))
            )
        elif ticket.kind == "INVENTORY":
            outcome.decisions.append(_take(uow, ticket, available, taken, outcome))
        elif ticket.kind == "SLOT":
            outcome.decisions.append(await _book_slot(uow, ticket))
        elif ticket.kind == "HOLD":
            state, reason, reservation_id = await concerts.hold(uow, ticket, outcome.seat_changes)
            outcome.decisions.append(Decision(ticket, state, reason, reservation_id))
        else:
            outcome.decisions.append(await _cancel(uow, ticket, outcome))
    for inventory_id, quantity in taken.items():
        await queue.change_stock(session, inventory_id, -quantity)
    concerts.announce_seats(uow, outcome.seat_changes)
    return outcome


def _take(
    uow: UnitOfWork,
    ticket: Ticket,
    available: dict[uuid.UUID, int],
    taken: dict[uuid.UUID, int],
    outcome: BatchOutcome,
) -> Decision:
    inventory = uuid.UUID(ticket.request["inventory"])
    quantity = int(ticket.request["quantity"])
    left = available.get(inventory, 0)
    if left < quantity:
        if left == 0:
            outcome.sold_out.add(str(inventory))
        return Decision(ticket, "REJECTED", "SOLD_OUT" if left == 0 else "NOT_ENOUGH_LEFT")
    available[inventory] = left - quantity
    taken[inventory] = taken.get(inventory, 0) + quantity
    if available[inventory] == 0:
        outcome.sold_out.add(str(inventory))
    reservation = Reservation(
        id=uuid.uuid4(),
        ticket_id=uuid.UUID(ticket.id),
        user_id=uuid.UUID(ticket.user_id),
        status="CONFIRMED",
        inventory_id=inventory,
        quantity=quantity,
    )
    uow.session.add(reservation)
    return Decision(ticket, "CONFIRMED", reservation_id=str(reservation.id))


async def _book_slot(uow: UnitOfWork, ticket: Ticket) -> Decision:
    reservation_id = uuid.uuid4()
    booked = await queue.book_slot(
        uow.session,
        reservation_id=reservation_id,
        ticket_id=uuid.UUID(ticket.id),
        user_id=uuid.UUID(ticket.user_id),
        resource_id=uuid.UUID(ticket.request["resource"]),
        starts=datetime.fromisoformat(ticket.request["starts"]),
        ends=datetime.fromisoformat(ticket.request["ends"]),
    )
    if not booked:
        return Decision(ticket, "REJECTED", "SLOT_TAKEN")
    return Decision(ticket, "CONFIRMED", reservation_id=str(reservation_id))


async def _cancel(uow: UnitOfWork, ticket: Ticket, outcome: BatchOutcome) -> Decision:
    """RES-3: the reservation is cancelled and its inventory returned in one transaction."""
    session = uow.session
    reservation = await queue.lock_reservation(session, uuid.UUID(ticket.request["reservation"]))
    assert reservation is not None
    first = await queue.first_cancellation(session, uuid.UUID(ticket.id), reservation.id)
    if first and reservation.status in ("CONFIRMED", "HELD", "PAID"):
        if reservation.event_id is not None:  # seats go back; a paid one's money too (RES-3)
            outcome.seat_changes += await concerts.release(uow, reservation, "CANCELLED")
            await payments.refund_later(uow, reservation.id)
        reservation.status = "CANCELLED"
        if reservation.inventory_id is not None:
            await queue.change_stock(session, reservation.inventory_id, reservation.quantity)
            outcome.restocked.add(str(reservation.inventory_id))
    return Decision(
        ticket, "CONFIRMED", reservation_id=str(reservation.id)
    )  # cancelling twice is harmless


# The queue consumer (workflows/reservations.py) decides batches with this room.
ROOM = BookingRoom(decide=decide)
