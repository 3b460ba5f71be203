"""Concurrent edits of one order by two agents (ORD-8): the second save gets CONFLICT."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, ValidationFailed
from persistence.models.orders import Order, Shipment
from resolvers.identity import audit
from resolvers.orders.checkout import Address, normalized_address


async def update_shipping(
    session: AsyncSession,
    actor: uuid.UUID,
    order_id: uuid.UUID,
    address: Address,
    expected_version: int,
) -> None:
    address = normalized_address(address)
    bumped = await session.scalar(
        update(Order)
        .where(Order.id == order_id, Order.version == expected_version)
        .values(version=Order.version + 1, updated_at=func.now())
        .returning(Order.version)
    )
    if bumped is None:
        current = await session.scalar(select(Order.version).where(Order.id == order_id))
        raise Conflict(
            f"order is at version {current}, not {expected_version}",
            extra={"currentVersion": current},
        )
    shipped = await session.scalar(
        update(Shipment)
        .where(Shipment.order_id == order_id, Shipment.status == "PREPARING")
        .values(**address.__dict__)
        .returning(Shipment.order_id)
    )
    if shipped is None:
        raise ValidationFailed(
            "the shipment can no longer be changed", reason="ALREADY_SHIPPED", field="orderId"
        )
    audit.record(
        session,
        "orders.shipping_changed",
        subject_type="order",
        subject_id=str(order_id),
        actor=actor,
    )
    await session.commit()
