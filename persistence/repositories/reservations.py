"""Reservations queries: every batch function answers many ids with one statement."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.models.reservations import Reservation, Seat


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
