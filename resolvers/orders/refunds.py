"""Refund requests start the refund saga (ORD-3): once per key, only for paid orders whose
payment saga has finished (a refund never races the payment it undoes)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from core.errors import Conflict, NotFound, ValidationFailed
from persistence.models.orders import Order
from persistence.repositories.orders import orders as repo
from persistence.unit_of_work import UnitOfWork
from resolvers import idempotency
from resolvers.validation import required_text

if TYPE_CHECKING:
    from resolvers.services import Services


async def request_refund(
    services: Services,
    uow: UnitOfWork,
    order: Order,
    *,
    actor: uuid.UUID,
    reason: str,
    idempotency_key: str,
) -> uuid.UUID:
    session = uow.session
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
    locked = await repo.get(session, order.id, lock=True)
    if locked is None:
        raise NotFound("no such order", field="orderId")
    running = await repo.running_saga_kinds(session, order.id)
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
        uow, "REFUND", order.id, saga_key, {"reason": reason, "actor": str(actor)}
    )
    await idempotency.remember(session, claimed, str(order.id))
    return order.id
