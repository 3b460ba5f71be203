"""Concurrent edits of one order by two agents (ORD-8): the second save gets CONFLICT."""

from __future__ import annotations

import uuid

from core.errors import Conflict, ValidationFailed
from persistence.repositories.orders import orders as repo
from persistence.unit_of_work import UnitOfWork
from resolvers.identity import audit
from resolvers.orders.checkout import Address, normalized_address


async def update_shipping(
    uow: UnitOfWork,
    actor: uuid.UUID,
    order_id: uuid.UUID,
    address: Address,
    expected_version: int,
) -> None:
    address = normalized_address(address)
    session = uow.session
    if await repo.bump_version(session, order_id, expected_version) is None:
        current = await repo.version(session, order_id)
        raise Conflict(
            f"order is at version {current}, not {expected_version}",
            extra={"currentVersion": current},
        )
    if not await repo.readdress_shipment(session, order_id, address.__dict__):
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
