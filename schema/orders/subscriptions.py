"""Orders subgraph subscriptions: live order status."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from resolvers.orders.status import order_status, order_topic
from schema.context import Info
from schema.orders.access import visible_order
from schema.orders.types import OrderStatus, OrderUpdate
from schema.permissions import requires


@strawberry.type
class OrdersSubscription:
    @strawberry.subscription(
        extensions=requires(), description="Live status of one of the caller's orders."
    )
    async def order_updates(
        self, info: Info, order_id: strawberry.ID
    ) -> AsyncGenerator[OrderUpdate, None]:
        order = await visible_order(info, order_id)
        await info.context.close()  # a subscription may live for hours: no session held open
        services = info.context.services
        await services.faults.hit("ORDERS:updates:subscribing")
        # Subscribe first, then read: a change committed before the read is in the read, one
        # committed after it is published to us. Reading first would lose a change in between.
        async with services.broker.subscribe(order_topic(order.id)) as events:
            status, version = await order_status(services.db, order.id)
            yield OrderUpdate(id=strawberry.ID(str(order.id)), status=OrderStatus(status))
            while True:
                event = await events.get()
                if event.get("version", version + 1) <= version:
                    continue  # a change our read already saw, published after it
                version = event.get("version", version + 1)
                yield OrderUpdate(
                    id=strawberry.ID(event["id"]), status=OrderStatus(event["status"])
                )
