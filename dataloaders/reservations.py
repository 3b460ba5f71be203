"""Reservations loaders: reservations by id and the seats of events, one statement per batch,
each on a short-lived connection (a ticket subscription must not hold one while it waits)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from aiodataloader import DataLoader

from persistence.database import Database
from persistence.models.reservations import Reservation
from persistence.repositories import reservations as repo


class ReservationsLoaders:
    def __init__(self, db: Database, *, batching: bool) -> None:
        self._db = db
        self.reservation = DataLoader(self._reservations, batch=batching)
        self.seats = DataLoader(self._seats, batch=batching)

    async def _reservations(self, ids: Sequence[uuid.UUID]) -> list[Reservation | None]:
        async with self._db.read() as conn:
            found = await repo.reservations_by_ids(conn, ids)
        return [found.get(i) for i in ids]

    async def _seats(self, event_ids: Sequence[uuid.UUID]) -> list[list[Any]]:
        async with self._db.read() as conn:
            found = await repo.seats_by_events(conn, event_ids)
        return [found.get(i, []) for i in event_ids]
