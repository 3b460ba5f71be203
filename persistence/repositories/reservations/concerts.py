"""SQL of concerts (RES-4): events, their seats, holds and their expiry. Every function runs
in its caller's transaction and never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.reservations import Event, Reservation, Seat


async def get_event(session: AsyncSession, event_id: uuid.UUID) -> Event | None:
    return await session.get(Event, event_id)


async def lock_seats(session: AsyncSession, seat_ids: Sequence[uuid.UUID]) -> list[Seat]:
    """The seats, locked in id order (two holds of overlapping seats never deadlock)."""
    rows = await session.scalars(
        select(Seat).where(Seat.id.in_(seat_ids)).order_by(Seat.id).with_for_update()
    )
    return list(rows)


async def lock_seats_of(session: AsyncSession, reservation_id: uuid.UUID) -> list[Seat]:
    rows = await session.scalars(
        select(Seat).where(Seat.reservation_id == reservation_id).with_for_update()
    )
    return list(rows)


async def sell_seats(session: AsyncSession, reservation_id: uuid.UUID) -> list[uuid.UUID]:
    """The reservation's seats become SOLD; their ids."""
    rows = await session.scalars(
        update(Seat)
        .where(Seat.reservation_id == reservation_id)
        .values(status="SOLD")
        .returning(Seat.id)
    )
    return list(rows)


async def lock_due_holds(session: AsyncSession, now: datetime, limit: int) -> list[Reservation]:
    """Unpaid holds past their due time, oldest first; rows another expiry run holds are
    skipped, so runs side by side never wait on each other."""
    rows = await session.scalars(
        select(Reservation)
        .where(Reservation.status == "HELD", Reservation.payment_due_at <= now)
        .order_by(Reservation.payment_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)
