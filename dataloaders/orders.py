"""Orders loaders: the shipment (with its origin), the lines of many orders and the managers of
many HUBs, each in one statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import select

from persistence.database import Database
from persistence.models.orders import Shipment, ShippingOrigin
from persistence.repositories import orders as repo


class OrdersLoaders:
    def __init__(self, db: Database, *, batching: bool) -> None:
        self._db = db
        self.shipment = DataLoader(self._shipments, batch=batching)
        self.lines = DataLoader(self._lines, batch=batching)
        self.hub_managers = DataLoader(self._hub_managers, batch=batching)

    async def _shipments(self, order_ids: Sequence[uuid.UUID]) -> list[Any]:
        async with self._db.read() as conn:
            rows = (
                await conn.execute(
                    select(
                        Shipment.order_id,
                        Shipment.status,
                        ShippingOrigin.id,
                        ShippingOrigin.kind,
                        ShippingOrigin.name,
                    )
                    .join(ShippingOrigin, ShippingOrigin.id == Shipment.origin_id)
                    .where(Shipment.order_id.in_(order_ids))
                )
            ).all()
        found = {row.order_id: row for row in rows}
        return [found.get(order_id) for order_id in order_ids]

    async def _lines(self, order_ids: Sequence[uuid.UUID]) -> list[list[Any]]:
        async with self._db.read() as conn:
            found = await repo.lines_by_orders(conn, order_ids)
        return [found.get(order_id, []) for order_id in order_ids]

    async def _hub_managers(self, hub_ids: Sequence[uuid.UUID]) -> list[list[Any]]:
        async with self._db.read() as conn:
            found = await repo.managers_by_hubs(conn, hub_ids)
        return [found.get(hub_id, []) for hub_id in hub_ids]
