"""Accepting reservation and cancellation requests: validated, answered at once with a ticket,
queued for the partition of what they book (RES-1, RES-3, RES-5, API-6)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from core.errors import NotFound, ValidationFailed
from persistence.database import Database
from persistence.models.reservations import Reservation
from persistence.repositories import reservations as repo
from persistence.repositories.reservations import queue
from persistence.streams.reservations import Request, Ticket, TicketStore, partition_of
from persistence.unit_of_work import UnitOfWork
from resolvers import idempotency
from resolvers.validation import parse_id

MAX_QUANTITY = 20
MAX_SLOT = timedelta(days=14)


async def _exists(
    db: Database, check: Callable[[Any, uuid.UUID], Awaitable[bool]], key: uuid.UUID
) -> bool:
    """One short read: the connection is back in the pool before the Redis round trips, so a
    burst of requests never waits for PostgreSQL connections it hardly needs."""
    async with db.read() as conn:
        return bool(await check(conn, key))


async def own_ticket(tickets: TicketStore, user_id: uuid.UUID, ticket_id: str) -> Ticket:
    """The caller's ticket; another caller's is as unknown as one that never existed."""
    ticket = await tickets.get(ticket_id)
    if ticket is None or ticket.user_id != str(user_id):
        raise NotFound("no such ticket", field="id")
    return ticket


async def keyed(
    tickets: TicketStore,
    user_id: uuid.UUID,
    operation: str,
    idempotency_key: str,
    arguments: dict[str, Any],
) -> tuple[Request, Ticket | None]:
    """The request under its scoped, fingerprinted key (API-6) and, on a replay, the first
    ticket; the same key with other arguments is CONFLICT IDEMPOTENCY_KEY_REUSED."""
    request = Request(
        str(user_id),
        operation,
        idempotency.checked_key(idempotency_key),
        idempotency.fingerprint(operation, arguments),
    )
    return request, await tickets.replayed(request)


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
    arguments = {
        "inventoryId": inventory_id,
        "quantity": quantity,
        "resourceId": resource_id,
        "startsAt": starts_at.isoformat() if starts_at else None,
        "endsAt": ends_at.isoformat() if ends_at else None,
    }
    keyed_request, first = await keyed(
        tickets, user_id, "requestReservation", idempotency_key, arguments
    )
    if first is not None:
        return first  # a replay returns the first ticket
    if inventory_id is not None and resource_id is None:
        inventory = parse_id(inventory_id, "inventoryId")
        quantity = 1 if quantity is None else quantity  # 0 is an error, not a default
        if not 1 <= quantity <= MAX_QUANTITY:
            raise ValidationFailed(f"quantity must be 1..{MAX_QUANTITY}", field="quantity")
        request = {"inventory": str(inventory), "quantity": quantity}
        if not await tickets.inventory_exists(
            inventory, lambda: _exists(db, repo.inventory_exists, inventory)
        ):
            raise NotFound("no such inventory", field="inventoryId")
        sold_out = await tickets.is_sold_out(str(inventory))
        return await tickets.submit(
            keyed_request,
            "INVENTORY",
            request,
            partition_of(inventory),
            reject="SOLD_OUT" if sold_out else None,
        )
    if resource_id is not None and inventory_id is None:
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
        if not await _exists(db, repo.resource_exists, resource):
            raise NotFound("no such resource", field="resourceId")
        request = {
            "resource": str(resource),
            "starts": starts_at.isoformat(),
            "ends": ends_at.isoformat(),
        }
        return await tickets.submit(keyed_request, "SLOT", request, partition_of(resource))
    raise ValidationFailed(
        "give either inventoryId (+ quantity) or resourceId + startsAt + endsAt", field="input"
    )


async def request_cancellation(
    db: Database,
    tickets: TicketStore,
    user_id: uuid.UUID,
    *,
    reservation_id: str,
    idempotency_key: str,
) -> Ticket:
    keyed_request, first = await keyed(
        tickets, user_id, "cancelReservation", idempotency_key, {"id": reservation_id}
    )
    if first is not None:
        return first
    async with db.read() as conn:  # short, as above
        reservation = await repo.reservation(conn, parse_id(reservation_id, "id"))
    if reservation is None or reservation.user_id != user_id:
        raise NotFound("no such reservation", field="id")
    line = reservation.inventory_id or reservation.resource_id or reservation.event_id
    return await tickets.submit(
        keyed_request,
        "CANCEL",
        {"reservation": str(reservation.id)},
        partition_of(line),
    )


async def my_reservations(uow: UnitOfWork, user_id: uuid.UUID, first: int) -> list[Reservation]:
    return await queue.user_reservations(uow.session, user_id, max(1, min(first, 100)))
