"""Orders subgraph queries: cart, shipping origins, orders, points, HUBs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import strawberry

from core.errors import NotFound
from persistence.repositories.orders import carts, customers
from persistence.repositories.orders import loaders as repo
from persistence.repositories.orders import orders as order_repo
from persistence.repositories.orders import points as points_repo
from resolvers.orders import withdrawal
from schema.context import Info
from schema.orders.access import visible_order
from schema.orders.types import (
    Cart,
    Hub,
    Order,
    OriginKind,
    Points,
    PointsMovement,
    ShippingOriginView,
    cart_view,
)
from schema.pagination import (
    Connection,
    PageInfo,
    check_page_size,
    connection,
    cursor_key,
    decode_cursor,
    encode_cursor,
)
from schema.permissions import requires

HUB_ADMIN = "orders.hubs.admin"


@asynccontextmanager
async def _reading(info: Info, *, own_writes: bool) -> AsyncIterator[Any]:
    """Where to read: a mutation reads its own (not yet committed) writes in the request's
    transaction; a query takes a short connection of its own."""
    if own_writes:
        yield info.context.db()
    else:
        async with info.context.services.db.read() as conn:
            yield conn


async def shipping_origins_of(
    info: Info, variant_id: str, *, own_writes: bool = False
) -> list[ShippingOriginView]:
    try:
        vid = uuid.UUID(variant_id)
    except ValueError as exc:
        raise NotFound("no such variant", field="variantId") from exc
    async with _reading(info, own_writes=own_writes) as conn:
        rows = await carts.origins_with_stock(conn, vid)
    return [
        ShippingOriginView(
            id=strawberry.ID(str(r.id)),
            kind=OriginKind(r.kind),
            name=r.name,
            available_quantity=r.quantity,
        )
        for r in rows
    ]


async def hub_view(info: Info, hub_id: uuid.UUID) -> Hub:
    """A HUB a mutation just wrote or changed (read in its transaction)."""
    async with _reading(info, own_writes=True) as conn:
        found = await repo.hubs_by_ids(conn, [hub_id])
    if hub_id not in found:
        raise NotFound("no such HUB", field="hubId")
    return Hub.of(found[hub_id])


async def _hub_page(
    info: Info, manager_id: uuid.UUID | None, first: int, after: str | None
) -> Connection[Hub]:
    limit = check_page_size(first)
    after_code = cursor_key(after, str)
    async with info.context.services.db.read() as conn:
        rows = await repo.hub_page(
            conn, manager_id=manager_id, after_code=after_code, limit=limit + 1
        )
    return connection(rows, limit, lambda r: encode_cursor(r.code), Hub.of)


@strawberry.type
class HubsQuery:
    @strawberry.field(extensions=requires(HUB_ADMIN), description="Every HUB, by code (ORD-7).")
    async def hubs(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Hub]:
        return await _hub_page(info, None, first, after)

    @strawberry.field(extensions=requires(), description="The HUBs the caller manages, by code.")
    async def my_hubs(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Hub]:
        principal = await info.context.principal()
        return await _hub_page(info, principal.user_id, first, after)


@strawberry.type
class OrdersQuery(HubsQuery):
    @strawberry.field(extensions=requires())
    async def my_cart(self, info: Info) -> Cart:
        return await cart_view(info, (await info.context.principal()).user_id)

    @strawberry.field(
        description="Where a variant can ship from, with what each origin can still ship (ORD-7)."
    )
    async def shipping_origins(
        self, info: Info, variant_id: strawberry.ID
    ) -> list[ShippingOriginView]:
        return await shipping_origins_of(info, variant_id)

    @strawberry.field(extensions=requires())
    async def order(self, info: Info, id: strawberry.ID) -> Order:
        return Order(row=await visible_order(info, id))

    @strawberry.field(
        extensions=requires(),
        description="Newest first; a withdrawn customer sees a year of history.",
    )
    async def my_orders(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Order]:
        principal = await info.context.principal()
        limit = check_page_size(first)
        cursor = decode_cursor(after)
        session = info.context.db()
        if not withdrawal.history_visible(await customers.withdrawn_at(session, principal.user_id)):
            return Connection(edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None))
        before = None
        if cursor is not None:
            try:
                before = (datetime.fromisoformat(cursor[0]), uuid.UUID(cursor[1]))
            except (ValueError, IndexError, TypeError) as exc:
                raise NotFound("not a cursor from this API", field="after") from exc
        rows = await order_repo.page_of_user(
            session, principal.user_id, before=before, limit=limit + 1
        )
        return connection(
            rows,
            limit,
            lambda r: encode_cursor(r.placed_at.isoformat(), str(r.id)),
            lambda r: Order(row=r),
        )

    @strawberry.field(extensions=requires())
    async def my_points(self, info: Info) -> Points:
        principal = await info.context.principal()
        session = info.context.db()
        history = await points_repo.history(session, principal.user_id, 100)
        return Points(
            balance=await points_repo.balance(session, principal.user_id),
            history=[PointsMovement(delta=e.delta, reason=e.reason, at=e.at) for e in history],
        )
