"""SQL of the reservation queue's batch decisions (RES-1..RES-3, RES-6) and of the simple
writes around them; every function runs in its caller's transaction and never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from asyncpg import Range
from asyncpg.exceptions import ExclusionViolationError
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.reservations import CancelRequest, Inventory, Reservation


async def reservations_of_tickets(
    session: AsyncSession, ticket_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """ticket id -> reservation id, for tickets decided already (a replayed batch)."""
    rows = await session.execute(
        select(Reservation.ticket_id, Reservation.id).where(Reservation.ticket_id.in_(ticket_ids))
    )
    return {row[0]: row[1] for row in rows}


async def lock_stock(
    session: AsyncSession, inventory_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """inventory id -> available, the rows locked in id order (no deadlock between batches)."""
    rows = await session.execute(
        select(Inventory.id, Inventory.available)
        .where(Inventory.id.in_(sorted(inventory_ids)))
        .order_by(Inventory.id)
        .with_for_update()
    )
    return {row[0]: row[1] for row in rows}


async def change_stock(session: AsyncSession, inventory_id: uuid.UUID, by: int) -> None:
    """Relative to the row's value and guarded by the CHECK: correct even without the lock."""
    await session.execute(
        update(Inventory)
        .where(Inventory.id == inventory_id)
        .values(available=Inventory.available + by)
    )


async def book_slot(
    session: AsyncSession,
    *,
    reservation_id: uuid.UUID,
    ticket_id: uuid.UUID,
    user_id: uuid.UUID,
    resource_id: uuid.UUID,
    starts: datetime,
    ends: datetime,
) -> bool:
    """Insert a confirmed slot booking; False when it overlaps a live one (RES-2). A savepoint
    keeps the caller's transaction usable: one taken slot does not undo the batch."""
    try:
        async with session.begin_nested():
            await session.execute(
                insert(Reservation).values(
                    id=reservation_id,
                    ticket_id=ticket_id,
                    user_id=user_id,
                    status="CONFIRMED",
                    resource_id=resource_id,
                    period=Range(starts, ends, upper_inc=False),
                )
            )
    except IntegrityError as exc:
        if isinstance(exc.orig.__cause__, ExclusionViolationError) or "no_overlap" in str(exc.orig):
            return False
        raise
    return True


async def lock_reservation(session: AsyncSession, reservation_id: uuid.UUID) -> Reservation | None:
    return await session.get(Reservation, reservation_id, with_for_update=True)


async def get_reservation(session: AsyncSession, reservation_id: uuid.UUID) -> Reservation | None:
    return await session.get(Reservation, reservation_id)


async def first_cancellation(
    session: AsyncSession, ticket_id: uuid.UUID, reservation_id: uuid.UUID
) -> bool:
    """Record the cancellation request; False when this ticket was recorded before."""
    first = await session.scalar(
        insert(CancelRequest)
        .values(ticket_id=ticket_id, reservation_id=reservation_id)
        .on_conflict_do_nothing()
        .returning(CancelRequest.ticket_id)
    )
    return first is not None


async def user_reservations(
    session: AsyncSession, user_id: uuid.UUID, first: int
) -> list[Reservation]:
    rows = await session.scalars(
        select(Reservation)
        .where(Reservation.user_id == user_id)
        .order_by(Reservation.created_at.desc())
        .limit(first)
    )
    return list(rows)
