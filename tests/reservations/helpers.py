"""Users, inventories and resources for reservation tests, made directly in the database."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, insert, select

from persistence.models.identity import User, UserRole
from persistence.models.reservations import Inventory, Reservation, Resource
from resolvers.reservations.tickets import Ticket, TicketStore


async def users(services, count: int) -> list[uuid.UUID]:  # type: ignore[no-untyped-def]
    ids = [uuid.uuid4() for _ in range(count)]
    async with services.db.unit_of_work() as session:
        await session.execute(
            insert(User),
            [{"id": i, "email": f"r-{i.hex}@example.com", "display_name": "r"} for i in ids],
        )
        await session.execute(
            insert(UserRole), [{"user_id": i, "role_name": "customer"} for i in ids]
        )
        await session.commit()
    return ids


async def inventory(services, total: int) -> uuid.UUID:  # type: ignore[no-untyped-def]
    inventory_id = uuid.uuid4()
    async with services.db.unit_of_work() as session:
        session.add(Inventory(id=inventory_id, name="Flash sale", total=total, available=total))
        await session.commit()
    return inventory_id


async def resource(services) -> uuid.UUID:  # type: ignore[no-untyped-def]
    resource_id = uuid.uuid4()
    async with services.db.unit_of_work() as session:
        session.add(Resource(id=resource_id, name="Court 1"))
        await session.commit()
    return resource_id


async def settled(tickets: TicketStore, ids: list[str], timeout: float = 60) -> dict[str, Ticket]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await tickets.get_many(ids)
        if all(t.final for t in found.values()) and len(found) == len(ids):
            return found
        assert asyncio.get_running_loop().time() < deadline, [
            t for t in found.values() if not t.final
        ][:3]
        await asyncio.sleep(0.1)


async def confirmed_quantity(services, inventory_id: uuid.UUID) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(sum of live reservations' quantities, inventory available)."""
    async with services.db.unit_of_work() as session:
        held = await session.scalar(
            select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                Reservation.inventory_id == inventory_id, Reservation.status == "CONFIRMED"
            )
        )
        available = await session.scalar(
            select(Inventory.available).where(Inventory.id == inventory_id)
        )
    return int(held), int(available)
