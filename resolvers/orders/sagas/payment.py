"""The payment saga (ORD-2): confirm the order written at checkout, use points, charge (the
pivot), accrue points, complete, e-mail. Before the charge a failure hands everything back;
after it the saga only goes forward (or, past the retry bound, compensates the charge too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from persistence.providers.payments import PaymentRejected, ProviderUnavailable
from resolvers.orders import points
from resolvers.orders import status as order_status
from resolvers.orders.sagas.steps import (
    cancel_accrual,
    cancel_charge,
    cancel_point_use,
    email,
    locked_order,
    record,
)
from resolvers.orders.stock import release_stock
from workflows.saga import SagaDefinition, Step, StepContext, StepFailed, StepKind

POINTS_RATE = Decimal("0.01")  # 1% of the charged amount, in whole points
POINTS_LIFETIME = timedelta(days=365)
NOT_ENOUGH_POINTS = "There are not enough points for this order."


async def get_order(ctx: StepContext) -> None:
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        if order.status not in ("PENDING", "PAID", "COMPLETED"):
            raise StepFailed("ORDER_NOT_PAYABLE", f"The order is {order.status.lower()}.")
        ctx.data.update(
            user_id=str(order.user_id), points_used=order.points_used, total=str(order.total_amount)
        )


async def create_order(ctx: StepContext) -> None:
    """The order and its stock were written at checkout; this step confirms them."""
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        if order.status == "FAILED":
            raise StepFailed("ORDER_FAILED", "The order was cancelled meanwhile.")


async def cancel_order(ctx: StepContext) -> None:
    """Compensation: the order fails, its stock returns, the customer is told."""
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        await release_stock(uow, ctx.services.catalog_cache, order)
        await order_status.change(
            uow.session, order.id, "FAILED", allowed_from=("PENDING", "PAID", "COMPLETED")
        )
        await order_status.notify(uow.session, order.id, order.user_id, "ORDER_FAILED")


async def check_points(ctx: StepContext) -> None:
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        spent = await points.applied(uow.session, f"use:{order.id}")
        if spent is None and await points.balance(uow.session, order.user_id) < order.points_used:
            raise StepFailed("INSUFFICIENT_POINTS", NOT_ENOUGH_POINTS)


async def use_points(ctx: StepContext) -> None:
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        if not order.points_used:
            return
        try:
            if await points.move(
                uow.session,
                order.user_id,
                -order.points_used,
                "USE",
                f"use:{order.id}",
                order_id=order.id,
            ):
                record(uow.session, ctx, "orders.points_used", order, {"points": order.points_used})
        except points.InsufficientPoints as exc:
            raise StepFailed("INSUFFICIENT_POINTS", NOT_ENOUGH_POINTS) from exc


async def charge(ctx: StepContext) -> None:
    """The pivot: once the provider has the money, the saga only goes forward."""
    provider = ctx.services.payments
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        payment = await order_status.payment_of(uow.session, order.id)
        if payment.status in ("CHARGED", "NOT_NEEDED"):
            return
        amount, currency, method = payment.amount, payment.currency, order.payment_method
    if amount == 0:
        return await _record_charge(ctx, None, "NOT_NEEDED")
    try:  # outside any transaction: no lock is held while the provider answers
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
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        await order_status.record_payment(uow.session, order.id, state, reference)
        await order_status.change(uow.session, order.id, "PAID", allowed_from=("PENDING",))
        record(
            uow.session,
            ctx,
            "orders.payment_charged",
            order,
            {"amount": str(order.total_amount), "reference": reference},
        )


def earned_points(total: Decimal) -> int:
    return int((total * POINTS_RATE).to_integral_value(rounding=ROUND_DOWN))


async def accrue_points(ctx: StepContext) -> None:
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        earned = earned_points(order.total_amount)
        if earned and await points.move(
            uow.session,
            order.user_id,
            earned,
            "ACCRUE",
            f"accrue:{order.id}",
            order_id=order.id,
            expires_at=datetime.now(UTC) + POINTS_LIFETIME,
        ):
            order.points_earned = earned
            record(uow.session, ctx, "orders.points_accrued", order, {"points": earned})


async def complete_order(ctx: StepContext) -> None:
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        if order.status == "COMPLETED":
            return
        if not await order_status.change(
            uow.session, order.id, "COMPLETED", allowed_from=("PAID",)
        ):
            raise StepFailed(
                "ORDER_NOT_COMPLETABLE", f"An order that is {order.status.lower()} cannot complete."
            )


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
        Step("send e-mail", StepKind.RETRYABLE, email("ORDER_CONFIRMED")),
    ),
)
