"""Orders loaders: each relation of a page of orders (or HUBs) costs a fixed number of
statements (API-2)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiodataloader import DataLoader

from persistence.database import Database
from persistence.repositories.orders import loaders as repo

# (a read connection, ids) -> found rows by id: the repository's batch functions
Fetch = Callable[[Any, Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, Any]]]


class OrdersLoaders:
    def __init__(self, db: Database, *, batching: bool) -> None:
        def loader(fetch: Fetch, missing: Callable[[], Any] = lambda: None) -> DataLoader:
            async def batch(ids: Sequence[uuid.UUID]) -> list[Any]:
                async with db.read() as conn:
                    found = await fetch(conn, ids)
                return [found[key] if key in found else missing() for key in ids]

            return DataLoader(batch, batch=batching)

        self.shipment = loader(repo.shipments_by_orders)
        self.payment = loader(repo.payments_by_orders)
        self.saga = loader(repo.newest_sagas_by_orders)
        self.lines = loader(repo.lines_by_orders, list)
        self.hub_managers = loader(repo.managers_by_hubs, list)
