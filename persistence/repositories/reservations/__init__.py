"""SQL of the reservations domain (RES-1..RES-6), by subject: the queue's batch decisions
(`queue`), concerts and their seats (`concerts`), payments of held seats (`payments`).

This module holds the short reads on a connection: DataLoader batches (one statement answers
many ids) and the request path's checks, which give their connection back before the Redis
round trips of queueing a request."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.models.reservations import Event, Inventory, Reservation, Resource, Seat


async def reservations_by_ids(
    conn: AsyncConnection, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Reservation]:
    rows = await conn.execute(select(Reservation.__table__).where(Reservation.id.in_(ids)))
    return {row.id: Reservation(**row._mapping) for row in rows}


async def seats_by_events(
    conn: AsyncConnection, event_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Any]]:
    rows = await conn.execute(
        select(Seat.event_id, Seat.id, Seat.label, Seat.section, Seat.status)
        .where(Seat.event_id.in_(event_ids))
        .order_by(Seat.event_id, Seat.section, Seat.label)
    )
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.event_id].append(row)
    return grouped


async def inventory_exists(conn: AsyncConnection, inventory_id: uuid.UUID) -> bool:
    return bool(await conn.scalar(select(exists().where(Inventory.id == inventory_id))))


async def resource_exists(conn: AsyncConnection, resource_id: uuid.UUID) -> bool:
    return bool(await conn.scalar(select(exists().where(Resource.id == resource_id))))


async def reservation(conn: AsyncConnection, reservation_id: uuid.UUID) -> Reservation | None:
    """A detached copy of one reservation (read, never written through)."""
    return (await reservations_by_ids(conn, [reservation_id])).get(reservation_id)


async def event(conn: AsyncConnection, event_id: uuid.UUID) -> Event | None:
    row = (await conn.execute(select(Event.__table__).where(Event.id == event_id))).first()
    return Event(**row._mapping) if row else None


async def seats_of_event(
    conn: AsyncConnection, event_id: uuid.UUID, seat_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of `seat_ids` that are seats of the event."""
    return set(
        await conn.scalars(select(Seat.id).where(Seat.event_id == event_id, Seat.id.in_(seat_ids)))
    )
