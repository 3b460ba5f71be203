"""Orders, their lines, shipment and payment: what use cases and saga steps read and write."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from persistence.models.orders import (
    Notification,
    Order,
    OrderLine,
    Payment,
    Saga,
    Shipment,
)


def add(session: AsyncSession, *rows: Any) -> None:
    """New order rows (the order, its lines, shipment, payment) in the caller's transaction."""
    session.add_all(rows)


async def flush(session: AsyncSession) -> None:
    await session.flush()


async def get(session: AsyncSession, order_id: uuid.UUID, *, lock: bool = False) -> Order | None:
    return await session.get(Order, order_id, with_for_update=lock)


async def fresh(session: AsyncSession, order_id: uuid.UUID) -> Order | None:
    """The order as this transaction sees it now (not an older copy the session holds)."""
    return await session.get(Order, order_id, populate_existing=True)


async def page_of_user(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Order]:
    """A customer's orders, newest first, keyset-paged on (placed_at, id)."""
    query = (
        select(Order)
        .where(Order.user_id == user_id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(tuple_(Order.placed_at, Order.id) < before)
    return list(await session.scalars(query))


async def status_and_version(conn: AsyncConnection, order_id: uuid.UUID) -> tuple[str, int]:
    row = (
        await conn.execute(select(Order.status, Order.version).where(Order.id == order_id))
    ).one()
    return row.status, row.version


async def change_status(
    session: AsyncSession, order_id: uuid.UUID, to: str, allowed_from: Sequence[str]
) -> int | None:
    """Move the order to `to` only from `allowed_from`; its new version, or None."""
    return await session.scalar(
        update(Order)
        .where(Order.id == order_id, Order.status.in_(allowed_from))
        .values(status=to, version=Order.version + 1, updated_at=func.now())
        .returning(Order.version)
    )


async def bump_version(session: AsyncSession, order_id: uuid.UUID, expected: int) -> int | None:
    """Optimistic lock (ORD-8): the new version, or None when `expected` is stale."""
    return await session.scalar(
        update(Order)
        .where(Order.id == order_id, Order.version == expected)
        .values(version=Order.version + 1, updated_at=func.now())
        .returning(Order.version)
    )


async def version(session: AsyncSession, order_id: uuid.UUID) -> int | None:
    return await session.scalar(select(Order.version).where(Order.id == order_id))


async def lines(session: AsyncSession, order_id: uuid.UUID) -> list[OrderLine]:
    return list(await session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)))


async def shipment_origin(session: AsyncSession, order_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(select(Shipment.origin_id).where(Shipment.order_id == order_id))


async def set_shipment_status(session: AsyncSession, order_id: uuid.UUID, status: str) -> None:
    await session.execute(
        update(Shipment).where(Shipment.order_id == order_id).values(status=status)
    )


async def readdress_shipment(
    session: AsyncSession, order_id: uuid.UUID, address: dict[str, str]
) -> bool:
    """Change where a shipment goes while it is still being prepared; False once it left."""
    changed = await session.scalar(
        update(Shipment)
        .where(Shipment.order_id == order_id, Shipment.status == "PREPARING")
        .values(**address)
        .returning(Shipment.order_id)
    )
    return changed is not None


async def payment(session: AsyncSession, order_id: uuid.UUID) -> Payment | None:
    return await session.get(Payment, order_id)


async def set_payment(
    session: AsyncSession, order_id: uuid.UUID, status: str, **values: Any
) -> None:
    await session.execute(
        update(Payment).where(Payment.order_id == order_id).values(status=status, **values)
    )


async def notify(session: AsyncSession, order_id: uuid.UUID, user_id: uuid.UUID, kind: str) -> None:
    """One customer e-mail per (order, kind); repeats are harmless."""
    await session.execute(
        insert(Notification)
        .values(order_id=order_id, user_id=user_id, kind=kind)
        .on_conflict_do_nothing()
    )


async def running_saga_kinds(session: AsyncSession, order_id: uuid.UUID) -> set[str]:
    kinds = await session.scalars(
        select(Saga.kind).where(
            Saga.order_id == order_id, Saga.state.in_(("RUNNING", "COMPENSATING"))
        )
    )
    return set(kinds)
