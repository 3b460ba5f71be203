"""What can be booked besides concerts: stock-counted inventories (RES-1) and resources booked
by time slot (RES-2), created by operators in the request's unit of work."""

from __future__ import annotations

import uuid

from persistence.models.reservations import Inventory, Resource
from persistence.unit_of_work import UnitOfWork

MAX_NAME = 200


async def create_inventory(uow: UnitOfWork, *, name: str, total: int) -> uuid.UUID:
    stock = max(total, 0)
    row = Inventory(id=uuid.uuid4(), name=name.strip()[:MAX_NAME], total=stock, available=stock)
    uow.session.add(row)
    await uow.flush()
    return row.id


async def create_resource(uow: UnitOfWork, *, name: str) -> uuid.UUID:
    row = Resource(id=uuid.uuid4(), name=name.strip()[:MAX_NAME])
    uow.session.add(row)
    await uow.flush()
    return row.id
