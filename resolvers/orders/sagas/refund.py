"""The refund saga (ORD-3): record the request, stop shipping, give used points back, cancel
the charge (the pivot), take accrued points back, return the stock, e-mail."""

from __future__ import annotations

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


async def refund_request(ctx: StepContext) -> None:
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        if order.status not in ("PAID", "COMPLETED"):
            raise StepFailed(
                "NOT_PAID", f"Only paid orders are refunded; this one is {order.status.lower()}."
            )
        record(
            uow.session, ctx, "orders.refund_requested", order, {"reason": ctx.data.get("reason")}
        )


async def cancel_refund(ctx: StepContext) -> None:
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        await order_status.notify(uow.session, order.id, order.user_id, "REFUND_FAILED")


async def mark_cancelling(ctx: StepContext) -> None:
    """Cancel the order: shipping stops now; stock returns once the money is back."""
    async with ctx.services.db.transaction() as uow:
        await order_status.ship(uow.session, ctx.order_id, "CANCELLED")


async def undo_cancelling(ctx: StepContext) -> None:
    async with ctx.services.db.transaction() as uow:
        await order_status.ship(uow.session, ctx.order_id, "PREPARING")


async def reuse_points(ctx: StepContext) -> None:
    """Compensation of a refund's point-use cancellation: debit them again (what is left)."""
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        returned = await points.applied(uow.session, f"cancel-use:{order.id}")
        if returned:
            await points.take_back(
                uow.session, order.user_id, returned, "USE", f"reuse:{order.id}", order.id
            )


async def finish_refund(ctx: StepContext) -> None:
    async with ctx.services.db.transaction() as uow:
        order = await locked_order(uow.session, ctx.order_id)
        if order.status == "REFUNDED":
            return
        await release_stock(uow, ctx.services.catalog_cache, order)
        await order_status.change(
            uow.session, order.id, "REFUNDED", allowed_from=("PAID", "COMPLETED")
        )


REFUND = SagaDefinition(
    kind="REFUND",
    steps=(
        Step("refund request", StepKind.COMPENSATABLE, refund_request, cancel_refund),
        Step("cancel order", StepKind.COMPENSATABLE, mark_cancelling, undo_cancelling),
        Step("cancel point use", StepKind.COMPENSATABLE, cancel_point_use, reuse_points),
        Step("payment cancel", StepKind.PIVOT, cancel_charge),
        Step("cancel point accrual", StepKind.RETRYABLE, cancel_accrual),
        Step("order-cancel complete", StepKind.RETRYABLE, finish_refund),
        Step("send e-mail", StepKind.RETRYABLE, email("REFUND_COMPLETED")),
    ),
)
