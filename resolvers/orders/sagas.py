"""The payment saga (ORD-2) and the refund saga (ORD-3), step by step.

Every step is idempotent: stock moves through the inventory ledger with
per-order keys, points through keyed entries, and provider calls carry
`charge:<order>` / `cancel:<order>` idempotency keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.orders import Order, OrderLine, Payment, Shipment
from persistence.providers.payments import PaymentRejected, ProviderUnavailable
from resolvers.catalog.stock import apply_stock_change
from resolvers.identity import audit
from resolvers.orders import points
from resolvers.orders import status as order_status
from workflows.saga import SagaDefinition, Step, StepContext, StepFailed, StepKind

POINTS_RATE = Decimal("0.01")  # 1% of the charged amount, in whole points
POINTS_LIFETIME = timedelta(days=365)
NOT_ENOUGH_POINTS = "There are not enough points for this order."


async def _order(session: AsyncSession, order_id: uuid.UUID) -> Order:
    order = await session.get(Order, order_id, with_for_update=True)
    assert order is not None, "sagas only run for existing orders"
    return order


def _audit(session: AsyncSession, ctx: StepContext, action: str, order: Order, data: dict) -> None:
    """The actor is whoever asked for the saga (an operator's refund), else the customer."""
    audit.record(
        session,
        action,
        subject_type="order",
        subject_id=str(order.id),
        actor=ctx.data.get("actor") or order.user_id,
        data=data,
    )


# --- payment saga -------------------------------------------------------------------------


async def get_order(ctx: StepContext) -> None:
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        if order.status not in ("PENDING", "PAID", "COMPLETED"):
            raise StepFailed("ORDER_NOT_PAYABLE", f"The order is {order.status.lower()}.")
        ctx.data.update(
            user_id=str(order.user_id), points_used=order.points_used, total=str(order.total_amount)
        )


async def create_order(ctx: StepContext) -> None:
    """The order and its stock were written at checkout; this step confirms them."""
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        if order.status == "FAILED":
            raise StepFailed("ORDER_FAILED", "The order was cancelled meanwhile.")


async def cancel_order(ctx: StepContext) -> None:
    """Compensation: the order fails, its stock returns, the customer is told."""
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        products = await release_stock(session, order)
        await order_status.change(
            session, order.id, "FAILED", allowed_from=("PENDING", "PAID", "COMPLETED")
        )
        await order_status.notify(session, order.id, order.user_id, "ORDER_FAILED")
        await session.commit()
    await ctx.services.catalog_cache.invalidate_products(*products)


async def release_stock(session: AsyncSession, order: Order) -> list[uuid.UUID]:
    """Return the order's stock to its origin (once per line); the products touched."""
    origin_id = await session.scalar(
        select(Shipment.origin_id).where(Shipment.order_id == order.id)
    )
    lines = (
        (await session.execute(select(OrderLine).where(OrderLine.order_id == order.id)))
        .scalars()
        .all()
    )
    for line in lines:
        await apply_stock_change(
            session,
            variant_id=line.variant_id,
            product_id=line.product_id,
            delta=line.quantity,
            reason=f"order {order.id} released",
            key=f"release:{order.id}:{line.variant_id}",
            actor=None,
            origin_id=origin_id,
        )
    await session.execute(
        update(Shipment).where(Shipment.order_id == order.id).values(status="CANCELLED")
    )
    return [line.product_id for line in lines]


async def check_points(ctx: StepContext) -> None:
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        spent = await points.applied(session, f"use:{order.id}")
        if spent is None and await points.balance(session, order.user_id) < order.points_used:
            raise StepFailed("INSUFFICIENT_POINTS", NOT_ENOUGH_POINTS)


async def use_points(ctx: StepContext) -> None:
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        if order.points_used:
            try:
                if await points.move(
                    session,
                    order.user_id,
                    -order.points_used,
                    "USE",
                    f"use:{order.id}",
                    order_id=order.id,
                ):
                    _audit(session, ctx, "orders.points_used", order, {"points": order.points_used})
            except points.InsufficientPoints as exc:
                raise StepFailed("INSUFFICIENT_POINTS", NOT_ENOUGH_POINTS) from exc
        await session.commit()


async def cancel_point_use(ctx: StepContext) -> None:
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        used = await points.applied(session, f"use:{order.id}")
        if used and await points.move(
            session, order.user_id, -used, "CANCEL_USE", f"cancel-use:{order.id}", order_id=order.id
        ):
            _audit(session, ctx, "orders.points_use_cancelled", order, {"points": -used})
        await session.commit()


async def charge(ctx: StepContext) -> None:
    """The pivot: once the provider has the money, the saga only goes forward."""
    provider = ctx.services.payments
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        payment = await session.get(Payment, order.id)
        assert payment is not None
        if payment.status in ("CHARGED", "NOT_NEEDED"):
            return
        amount, currency, method = payment.amount, payment.currency, order.payment_method
    if amount == 0:
        return await _record_charge(ctx, None, "NOT_NEEDED")
    try:
        result = await provider.charge(
            amount=amount,
            currency=currency,
            method=method,
            reference=str(ctx.order_id),
            key=f"charge:{ctx.order_id}",
        )
    except PaymentRejected as exc:
        raise StepFailed("PAYMENT_REJECTED", "The payment was refused.") from exc
    except ProviderUnavailable:
        if ctx.attempt < 4:
            raise  # unknown outcome: retry with the same key
        found = [c for c in await provider.find(str(ctx.order_id)) if c.status == "SUCCEEDED"]
        if not found:  # the provider answers and holds no charge: it definitively did not happen
            raise StepFailed(
                "PAYMENT_UNAVAILABLE", "The payment provider did not answer; nothing was charged."
            ) from None
        result = found[0]
    await _record_charge(ctx, result.id, "CHARGED")


async def _record_charge(ctx: StepContext, reference: str | None, state: str) -> None:
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        await session.execute(
            update(Payment)
            .where(Payment.order_id == order.id)
            .values(status=state, provider_reference=reference)
        )
        await order_status.change(session, order.id, "PAID", allowed_from=("PENDING",))
        _audit(
            session,
            ctx,
            "orders.payment_charged",
            order,
            {"amount": str(order.total_amount), "reference": reference},
        )
        await session.commit()


async def cancel_charge(ctx: StepContext) -> None:
    """Cancels the provider charge (payment compensation past the pivot, and the refund pivot)."""
    async with ctx.services.db.unit_of_work() as session:
        payment = await session.get(Payment, ctx.order_id)
        assert payment is not None
        if payment.status != "CHARGED":
            return
        reference = payment.provider_reference
    try:
        await ctx.services.payments.cancel(reference, key=f"cancel:{ctx.order_id}")
    except PaymentRejected as exc:
        raise StepFailed(
            "CANCEL_REJECTED", "The payment provider refused the cancellation."
        ) from exc
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        await session.execute(
            update(Payment).where(Payment.order_id == order.id).values(status="CANCELLED")
        )
        _audit(
            session,
            ctx,
            "orders.payment_cancelled",
            order,
            {"amount": str(order.total_amount), "reference": reference},
        )
        await session.commit()


def earned_points(total: Decimal) -> int:
    return int((total * POINTS_RATE).to_integral_value(rounding=ROUND_DOWN))


async def accrue_points(ctx: StepContext) -> None:
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        earned = earned_points(order.total_amount)
        if earned and await points.move(
            session,
            order.user_id,
            earned,
            "ACCRUE",
            f"accrue:{order.id}",
            order_id=order.id,
            expires_at=datetime.now(UTC) + POINTS_LIFETIME,
        ):
            order.points_earned = earned
            _audit(session, ctx, "orders.points_accrued", order, {"points": earned})
        await session.commit()


async def cancel_accrual(ctx: StepContext) -> None:
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        earned = await points.applied(session, f"accrue:{order.id}")
        if earned:
            taken = await points.take_back(
                session,
                order.user_id,
                earned,
                "CANCEL_ACCRUAL",
                f"cancel-accrue:{order.id}",
                order.id,
            )
            _audit(session, ctx, "orders.points_accrual_cancelled", order, {"points": -taken})
        await session.commit()


async def complete_order(ctx: StepContext) -> None:
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        if order.status == "COMPLETED":
            return
        if not await order_status.change(session, order.id, "COMPLETED", allowed_from=("PAID",)):
            raise StepFailed(
                "ORDER_NOT_COMPLETABLE", f"An order that is {order.status.lower()} cannot complete."
            )
        await session.commit()


def _email(kind: str):  # type: ignore[no-untyped-def]
    async def send(ctx: StepContext) -> None:
        async with ctx.services.db.unit_of_work() as session:
            order = await _order(session, ctx.order_id)
            await order_status.notify(session, order.id, order.user_id, kind)
            await session.commit()

    send.__name__ = f"email_{kind.lower()}"
    return send


PAYMENT = SagaDefinition(
    kind="PAYMENT",
    steps=(
        # Checkout already wrote the order and took its stock, so even a failing first step
        # hands them back (cancel_order is idempotent: it runs at most once in effect).
        Step("get order", StepKind.QUERY, get_order, cancel_order),
        Step("create order", StepKind.COMPENSATABLE, create_order, cancel_order),
        Step("get points", StepKind.QUERY, check_points),
        Step("use points", StepKind.COMPENSATABLE, use_points, cancel_point_use),
        Step("payment", StepKind.PIVOT, charge, cancel_charge),
        Step("accrue points", StepKind.RETRYABLE, accrue_points, cancel_accrual),
        Step("complete order", StepKind.RETRYABLE, complete_order),
        Step("send e-mail", StepKind.RETRYABLE, _email("ORDER_CONFIRMED")),
    ),
)


# --- refund saga --------------------------------------------------------------------------


async def refund_request(ctx: StepContext) -> None:
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        if order.status not in ("PAID", "COMPLETED"):
            raise StepFailed(
                "NOT_PAID", f"Only paid orders are refunded; this one is {order.status.lower()}."
            )
        _audit(session, ctx, "orders.refund_requested", order, {"reason": ctx.data.get("reason")})
        await session.commit()


async def cancel_refund(ctx: StepContext) -> None:
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        await order_status.notify(session, order.id, order.user_id, "REFUND_FAILED")
        await session.commit()


async def mark_cancelling(ctx: StepContext) -> None:
    """Cancel the order: shipping stops now; stock returns once the money is back (step 6)."""
    async with ctx.services.db.unit_of_work() as session:
        await session.execute(
            update(Shipment).where(Shipment.order_id == ctx.order_id).values(status="CANCELLED")
        )
        await session.commit()


async def undo_cancelling(ctx: StepContext) -> None:
    async with ctx.services.db.unit_of_work() as session:
        await session.execute(
            update(Shipment).where(Shipment.order_id == ctx.order_id).values(status="PREPARING")
        )
        await session.commit()


async def reuse_points(ctx: StepContext) -> None:
    """Compensation of a refund's point-use cancellation: debit them again (what is left)."""
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        returned = await points.applied(session, f"cancel-use:{order.id}")
        if returned:
            await points.take_back(
                session, order.user_id, returned, "USE", f"reuse:{order.id}", order.id
            )
        await session.commit()


async def finish_refund(ctx: StepContext) -> None:
    async with ctx.services.db.unit_of_work() as session:
        order = await _order(session, ctx.order_id)
        if order.status == "REFUNDED":
            return
        products = await release_stock(session, order)
        await order_status.change(session, order.id, "REFUNDED", allowed_from=("PAID", "COMPLETED"))
        await session.commit()
    await ctx.services.catalog_cache.invalidate_products(*products)


REFUND = SagaDefinition(
    kind="REFUND",
    steps=(
        Step("refund request", StepKind.COMPENSATABLE, refund_request, cancel_refund),
        Step("cancel order", StepKind.COMPENSATABLE, mark_cancelling, undo_cancelling),
        Step("cancel point use", StepKind.COMPENSATABLE, cancel_point_use, reuse_points),
        Step("payment cancel", StepKind.PIVOT, cancel_charge),
        Step("cancel point accrual", StepKind.RETRYABLE, cancel_accrual),
        Step("order-cancel complete", StepKind.RETRYABLE, finish_refund),
        Step("send e-mail", StepKind.RETRYABLE, _email("REFUND_COMPLETED")),
    ),
)
