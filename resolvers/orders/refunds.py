"""Refund requests start the refund saga (ORD-3): once per key, only for paid orders."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.orders import Order, Saga
from resolvers.errors import NotFound, ValidationFailed
from resolvers.validation import required_text


async def request_refund(
    services,
    session: AsyncSession,
    order: Order,
    *,
    actor: uuid.UUID,
    reason: str,
    idempotency_key: str,  # type: ignore[no-untyped-def]
) -> uuid.UUID:
    key = required_text(idempotency_key, "idempotencyKey", 200)
    reason = required_text(reason, "reason", 500)
    locked = await session.get(
        Order, order.id, with_for_update=True
    )  # one refund decision at a time
    if locked is None:
        raise NotFound("no such order", field="orderId")
    replay = await session.scalar(
        select(Saga.id).where(
            Saga.order_id == order.id, Saga.kind == "REFUND", Saga.idempotency_key == key
        )
    )
    if replay is not None:
        return order.id
    running = await session.scalar(
        select(Saga.id).where(
            Saga.order_id == order.id,
            Saga.kind == "REFUND",
            Saga.state.in_(("RUNNING", "COMPENSATING")),
        )
    )
    if running is not None:
        raise ValidationFailed(
            "a refund of this order is already under way",
            reason="REFUND_IN_PROGRESS",
            field="orderId",
        )
    if locked.status not in ("PAID", "COMPLETED"):
        raise ValidationFailed(
            f"only paid orders can be refunded; this one is {locked.status}",
            reason="NOT_PAID",
            field="orderId",
        )
    await services.sagas.start(
        session, "REFUND", order.id, key, {"reason": reason, "actor": str(actor)}
    )
    await session.commit()
    return order.id
