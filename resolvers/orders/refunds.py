"""Refund requests start the refund saga (ORD-3): once per key, only for paid orders whose
payment saga has finished (a refund never races the payment it undoes)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, NotFound, ValidationFailed
from persistence.models.orders import Order, Saga
from resolvers import idempotency
from resolvers.validation import required_text

if TYPE_CHECKING:
    from resolvers.services import Services


async def request_refund(
    services: Services,
    session: AsyncSession,
    order: Order,
    *,
    actor: uuid.UUID,
    reason: str,
    idempotency_key: str,
) -> uuid.UUID:
    claimed = await idempotency.claim(
        session,
        caller=actor,
        operation="requestRefund",
        key=idempotency_key,
        request={"orderId": str(order.id), "reason": reason},
    )
    if claimed.replayed:
        return uuid.UUID(claimed.first_result())
    reason = required_text(reason, "reason", 500)
    # One refund decision at a time.
    locked = await session.get(Order, order.id, with_for_update=True)
    if locked is None:
        raise NotFound("no such order", field="orderId")
    running = (
        await session.scalars(
            select(Saga.kind).where(
                Saga.order_id == order.id, Saga.state.in_(("RUNNING", "COMPENSATING"))
            )
        )
    ).all()
    if "PAYMENT" in running:
        raise Conflict(
            "the payment of this order is still being processed; try again shortly",
            reason="PAYMENT_IN_PROGRESS",
            field="orderId",
        )
    if "REFUND" in running:
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
    # Keys are per caller: the saga's own key must not collide with another caller's refund.
    saga_key = f"idempotency:{claimed.id}"
    await services.sagas.start(
        session, "REFUND", order.id, saga_key, {"reason": reason, "actor": str(actor)}
    )
    await idempotency.remember(session, claimed, str(order.id))
    await session.commit()
    return order.id
