"""Deciding a batch of queued requests of one partition in one transaction (RES-1..RES-3, RES-6).

PostgreSQL is the source of truth: inventory rows are locked in a fixed order and decremented
relative to their current value under `CHECK (available >= 0)`, so no interleaving — not even
two workers on one partition — can oversell. A request decided before a crash is found again
by its ticket id (unique on the reservation), so replaying a batch changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from asyncpg import Range
from asyncpg.exceptions import ExclusionViolationError
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.reservations import CancelRequest, Inventory, Reservation
from persistence.streams.reservations import Ticket
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
    seat_changes: list[tuple[str, str, str]]  # (event, seat, status) for the seat maps


async def decide(session: AsyncSession, batch: list[Ticket]) -> BatchOutcome:
    """Decide every ticket of the batch, in queue order; the caller commits."""
    ids = [uuid.UUID(t.id) for t in batch]
    made = dict(
        (
            await session.execute(
                select(Reservation.ticket_id, Reservation.id).where(Reservation.ticket_id.in_(ids))
            )
        ).all()
    )
    wanted = sorted({uuid.UUID(t.request["inventory"]) for t in batch if t.kind == "INVENTORY"})
    available = dict(
        (
            await session.execute(
                select(Inventory.id, Inventory.available)
                .where(Inventory.id.in_(wanted))
                .order_by(Inventory.id)
                .with_for_update()
            )
        ).all()
    )
    outcome = BatchOutcome([], set(), set(), [])
    taken: dict[uuid.UUID, int] = {}
    for ticket in sorted(batch, key=lambda t: t.seq):
        if uuid.UUID(ticket.id) in made:
            outcome.decisions.append(
                Decision(ticket, "CONFIRMED", reservation_id=str(made[uuid.UUID(ticket.id)]))
            )
        elif ticket.kind == "INVENTORY":
            outcome.decisions.append(_take(session, ticket, available, taken, outcome))
        elif ticket.kind == "SLOT":
            outcome.decisions.append(await _book_slot(session, ticket))
        elif ticket.kind == "HOLD":
            state, reason, reservation_id = await concerts.hold(
                session, ticket, outcome.seat_changes
            )
            outcome.decisions.append(Decision(ticket, state, reason, reservation_id))
        else:
            outcome.decisions.append(await _cancel(session, ticket, outcome))
    for inventory_id, quantity in taken.items():
        # Relative to the row's value and guarded by the CHECK: correct even without the lock.
        await session.execute(
            update(Inventory)
            .where(Inventory.id == inventory_id)
            .values(available=Inventory.available - quantity)
        )
    return outcome


def _take(
    session: AsyncSession,
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
    session.add(reservation)
    return Decision(ticket, "CONFIRMED", reservation_id=str(reservation.id))


async def _book_slot(session: AsyncSession, ticket: Ticket) -> Decision:
    period = Range(
        datetime.fromisoformat(ticket.request["starts"]),
        datetime.fromisoformat(ticket.request["ends"]),
        upper_inc=False,
    )
    reservation_id = uuid.uuid4()
    try:
        async with session.begin_nested():  # a savepoint: one taken slot does not undo the batch
            await session.execute(
                insert(Reservation).values(
                    id=reservation_id,
                    ticket_id=uuid.UUID(ticket.id),
                    user_id=uuid.UUID(ticket.user_id),
                    status="CONFIRMED",
                    resource_id=uuid.UUID(ticket.request["resource"]),
                    period=period,
                )
            )
    except IntegrityError as exc:
        if isinstance(exc.orig.__cause__, ExclusionViolationError) or "no_overlap" in str(exc.orig):
            return Decision(ticket, "REJECTED", "SLOT_TAKEN")
        raise
    return Decision(ticket, "CONFIRMED", reservation_id=str(reservation_id))


async def _cancel(session: AsyncSession, ticket: Ticket, outcome: BatchOutcome) -> Decision:
    """RES-3: the reservation is cancelled and its inventory returned in one transaction."""
    reservation = await session.get(
        Reservation, uuid.UUID(ticket.request["reservation"]), with_for_update=True
    )
    assert reservation is not None
    first = await session.scalar(
        insert(CancelRequest)
        .values(ticket_id=uuid.UUID(ticket.id), reservation_id=reservation.id)
        .on_conflict_do_nothing()
        .returning(CancelRequest.ticket_id)
    )
    if first is not None and reservation.status in ("CONFIRMED", "HELD", "PAID"):
        if reservation.event_id is not None:  # seats go back; a paid one's money too (RES-3)
            outcome.seat_changes += await concerts.release(session, reservation, "CANCELLED")
            await payments.refund_later(session, reservation.id)
        reservation.status = "CANCELLED"
        if reservation.inventory_id is not None:
            await session.execute(
                update(Inventory)
                .where(Inventory.id == reservation.inventory_id)
                .values(available=Inventory.available + reservation.quantity)
            )
            outcome.restocked.add(str(reservation.inventory_id))
    return Decision(
        ticket, "CONFIRMED", reservation_id=str(reservation.id)
    )  # cancelling twice is harmless


# The queue consumer (workflows/reservations.py) decides batches with this room.
ROOM = BookingRoom(decide=decide, publish_seats=concerts.publish_seats)
