"""Accepting reservation and cancellation requests: validated, answered at once with a ticket,
queued for the partition of what they book (RES-1, RES-3, RES-5, API-6)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.database import Database
from persistence.models.reservations import Inventory, Reservation, Resource
from resolvers.errors import NotFound, ValidationFailed
from resolvers.reservations.tickets import Ticket, TicketStore, partition_of
from resolvers.validation import parse_id, required_text

MAX_QUANTITY = 20
MAX_SLOT = timedelta(days=14)

Row = TypeVar("Row", Inventory, Reservation, Resource)


async def _read(db: Database, model: type[Row], key: uuid.UUID) -> Row | None:
    """One short read: the connection is back in the pool before the Redis round trips, so a
    burst of requests never waits for PostgreSQL connections it hardly needs."""
    async with db.session() as session:
        return await session.get(model, key)


async def request_reservation(
    db: Database,
    tickets: TicketStore,
    user_id: uuid.UUID,
    *,
    idempotency_key: str,
    inventory_id: str | None = None,
    quantity: int | None = None,
    resource_id: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Ticket:
    key = required_text(idempotency_key, "idempotencyKey", 200)
    ticket_id = await tickets.claim_request(str(user_id), key, str(uuid.uuid4()))
    if (existing := await tickets.get(ticket_id)) is not None:
        return existing  # a replay returns the first ticket
    if inventory_id is not None and resource_id is None:
        inventory = parse_id(inventory_id, "inventoryId")
        quantity = 1 if quantity is None else quantity  # 0 is an error, not a default
        if not 1 <= quantity <= MAX_QUANTITY:
            raise ValidationFailed(f"quantity must be 1..{MAX_QUANTITY}", field="quantity")
        request = {"inventory": str(inventory), "quantity": quantity}
        if not await tickets.inventory_exists(inventory, lambda: _read(db, Inventory, inventory)):
            raise NotFound("no such inventory", field="inventoryId")
        if await tickets.is_sold_out(str(inventory)):
            await tickets.reject_now(ticket_id, str(user_id), "INVENTORY", request, "SOLD_OUT")
        else:
            await tickets.enqueue(
                ticket_id, str(user_id), "INVENTORY", request, partition_of(inventory)
            )
    elif resource_id is not None and inventory_id is None:
        resource = parse_id(resource_id, "resourceId")
        if (
            starts_at is None
            or ends_at is None
            or starts_at.tzinfo is None
            or ends_at.tzinfo is None
        ):
            raise ValidationFailed(
                "startsAt and endsAt (with offset) are required", field="startsAt"
            )
        if not starts_at < ends_at <= starts_at + MAX_SLOT:
            raise ValidationFailed(
                "endsAt must be after startsAt, at most 14 days later", field="endsAt"
            )
        if await _read(db, Resource, resource) is None:
            raise NotFound("no such resource", field="resourceId")
        request = {
            "resource": str(resource),
            "starts": starts_at.isoformat(),
            "ends": ends_at.isoformat(),
        }
        await tickets.enqueue(ticket_id, str(user_id), "SLOT", request, partition_of(resource))
    else:
        raise ValidationFailed(
            "give either inventoryId (+ quantity) or resourceId + startsAt + endsAt", field="input"
        )
    ticket = await tickets.get(ticket_id)
    assert ticket is not None
    return ticket


async def request_cancellation(
    db: Database,
    tickets: TicketStore,
    user_id: uuid.UUID,
    *,
    reservation_id: str,
    idempotency_key: str,
) -> Ticket:
    key = required_text(idempotency_key, "idempotencyKey", 200)
    reservation = await _read(db, Reservation, parse_id(reservation_id, "id"))
    if reservation is None or reservation.user_id != user_id:
        raise NotFound("no such reservation", field="id")
    ticket_id = await tickets.claim_request(str(user_id), f"cancel:{key}", str(uuid.uuid4()))
    if (existing := await tickets.get(ticket_id)) is not None:
        return existing
    line = reservation.inventory_id or reservation.resource_id
    await tickets.enqueue(
        ticket_id, str(user_id), "CANCEL", {"reservation": str(reservation.id)}, partition_of(line)
    )
    ticket = await tickets.get(ticket_id)
    assert ticket is not None
    return ticket


async def my_reservations(
    session: AsyncSession, user_id: uuid.UUID, first: int
) -> list[Reservation]:
    rows = await session.scalars(
        select(Reservation)
        .where(Reservation.user_id == user_id)
        .order_by(Reservation.created_at.desc())
        .limit(first)
    )
    return list(rows)
