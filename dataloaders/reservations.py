"""Reservations loaders: many reservations by id in one statement, on a short-lived session
(a ticket subscription must not hold a connection while it waits for the next event)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiodataloader import DataLoader
from sqlalchemy import select

from persistence.database import Database
from persistence.models.reservations import Reservation


class ReservationsLoaders:
    def __init__(self, db: Database, *, batching: bool) -> None:
        self._db = db
        self.reservation = DataLoader(self._reservations, batch=batching)

    async def _reservations(self, ids: Sequence[uuid.UUID]) -> list[Reservation | None]:
        async with self._db.session() as session:
            rows = await session.scalars(select(Reservation).where(Reservation.id.in_(ids)))
            found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]
