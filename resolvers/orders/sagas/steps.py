"""Steps and helpers both sagas use. Every step is its own unit of work
(`db.transaction()`: one commit when the block ends, a rollback when it raises) and is
idempotent: a step re-run after a crash or a lost lease changes nothing twice."""

from __future__ import annotations

import uuid
from typing import Any

from persistence.models.orders import Order
from persistence.providers.payments import PaymentRejected
from persistence.repositories.orders import orders as repo
from persistence.unit_of_work import Session
from resolvers.identity import audit
from resolvers.orders import points
from resolvers.orders import status as order_status
from workflows.saga import StepContext, StepFailed


async def locked_order(session: Session, order_id: uuid.UUID) -> Order:
    order = await repo.get(session, order_id, lock=True)
    assert order is not None, "sagas only run for existing orders"
    return order


def record(
    session: Session, ctx: StepContext, action: str, order: Order, data: dict[str, Any]
) -> None:
    """Audit a step. The actor is whoever asked for the saga (an operator's refund), else the
    customer."""
    audit.record(
        session,
        action,
        subject_type="order",
        subject_id=str(order.id),
        actor=ctx.data.get("actor") or order.user_id,
        data=data,
    )


async def cancel_point_use(ctx: StepContext) -> None:
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        used = await points.applied(uow.session, f"use:{order.id}")
        if used and await points.move(
            uow.session,
            order.user_id,
            -used,
            "CANCEL_USE",
            f"cancel-use:{order.id}",
            order_id=order.id,
        ):
            record(uow.session, ctx, "orders.points_use_cancelled", order, {"points": -used})


async def cancel_charge(ctx: StepContext) -> None:
    """Cancels the provider charge (payment compensation past the pivot, and the refund pivot)."""
    async with ctx.services.db.transaction() as uow:
        payment = await order_status.payment_of(uow.session, ctx.order_id)
        if payment.status != "CHARGED":
            return
        reference = payment.provider_reference
    try:  # outside any transaction: no lock is held while the provider answers
        await ctx.services.payments.cancel(reference, key=f"cancel:{ctx.order_id}")
    except PaymentRejected as exc:
        raise StepFailed(
            "CANCEL_REJECTED", "The payment provider refused the cancellation."
        ) from exc
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        await order_status.record_payment(uow.session, order.id, "CANCELLED", reference)
        record(
            uow.session,
            ctx,
            "orders.payment_cancelled",
            order,
            {"amount": str(order.total_amount), "reference": reference},
        )


async def cancel_accrual(ctx: StepContext) -> None:
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        earned = await points.applied(uow.session, f"accrue:{order.id}")
        if earned:
            taken = await points.take_back(
                uow.session,
                order.user_id,
                earned,
                "CANCEL_ACCRUAL",
                f"cancel-accrue:{order.id}",
                order.id,
            )
            record(uow.session, ctx, "orders.points_accrual_cancelled", order, {"points": -taken})


def email(kind: str):  # type: ignore[no-untyped-def]
    async def send(ctx: StepContext) -> None:
        async with ctx.services.db.transaction() as uow:
            order = await locked_order(uow.session, ctx.order_id)
            await order_status.notify(uow.session, order.id, order.user_id, kind)

    send.__name__ = f"email_{kind.lower()}"
    return send
