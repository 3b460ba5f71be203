"""Which orders a caller may see or change (ID-12, ID-14)."""

from __future__ import annotations

import uuid

from core.errors import Forbidden, NotFound
from persistence.models.orders import Order as OrderRow
from persistence.repositories.orders import customers
from persistence.repositories.orders import orders as repo
from resolvers.orders import withdrawal
from schema.context import Info
from schema.permissions import has_permission


async def visible_order(info: Info, raw_id: str, *, write: bool = False) -> OrderRow:
    """The caller's own order (within the withdrawal window) or, with orders.read_all,
    anyone's; changing another's order (`write`) needs orders.write_all (ID-12)."""
    principal = await info.context.principal()
    try:
        order_id = uuid.UUID(raw_id)
    except ValueError as exc:
        raise NotFound("no such order", field="id") from exc
    session = info.context.db()
    order = await repo.get(session, order_id)
    if order is None:
        raise NotFound("no such order", field="id")
    if order.user_id != principal.user_id:
        if not await has_permission(info, "orders.read_all"):
            raise NotFound("no such order", field="id")
        if write and not await has_permission(info, "orders.write_all"):
            raise Forbidden("needs orders.write_all", extra={"permission": "orders.write_all"})
        return order
    if not withdrawal.history_visible(await customers.withdrawn_at(session, order.user_id)):
        raise NotFound("no such order", field="id")
    return order


async def fresh_order(info: Info, order_id: uuid.UUID) -> OrderRow:
    """The order as the mutation left it (read in its own, not yet committed, transaction)."""
    order = await repo.fresh(info.context.db(), order_id)
    assert order is not None
    return order
