"""Order status changes: conditional (never from an unexpected state) and announced through
the outbox in the same transaction, for the OrderUpdates subscription."""

from __future__ import annotations

import uuid

from persistence.database import Database
from persistence.models.orders import Payment
from persistence.repositories.orders import orders as repo
from persistence.unit_of_work import Session
from resolvers import outbox


def order_topic(order_id: uuid.UUID | str) -> str:
    return f"topic:order:{order_id}"


async def order_status(db: Database, order_id: uuid.UUID) -> tuple[str, int]:
    """(status, version) now, on a short connection (a subscription holds none while it waits)."""
    async with db.read() as conn:
        return await repo.status_and_version(conn, order_id)


async def change(
    session: Session, order_id: uuid.UUID, to: str, *, allowed_from: tuple[str, ...]
) -> bool:
    version = await repo.change_status(session, order_id, to, allowed_from)
    if version is not None:  # the version lets a subscriber drop what its own read already saw
        outbox.emit(
            session, order_topic(order_id), {"id": str(order_id), "status": to, "version": version}
        )
    return version is not None


async def notify(
    session: Session, order_id: uuid.UUID, user_id: uuid.UUID, kind: str
) -> None:
    """Queue one customer e-mail per (order, kind); repeats are harmless."""
    await repo.notify(session, order_id, user_id, kind)


async def payment_of(session: Session, order_id: uuid.UUID) -> Payment:
    payment = await repo.payment(session, order_id)
    assert payment is not None, "checkout writes every order's payment"
    return payment


async def record_payment(
    session: Session, order_id: uuid.UUID, state: str, reference: str | None
) -> None:
    """The provider's answer: CHARGED with its reference, or NOT_NEEDED (nothing to pay)."""
    await repo.set_payment(session, order_id, state, provider_reference=reference)


async def ship(session: Session, order_id: uuid.UUID, status: str) -> None:
    """Set the shipment's status (PREPARING, CANCELLED)."""
    await repo.set_shipment_status(session, order_id, status)
