"""Orders subgraph mutations. Each field's use case writes into the request's unit of work;
schema/mutations.py commits it once after the field (effects after commit via the outbox)."""

from __future__ import annotations

import strawberry

from resolvers.orders import checkout as checkout_cases
from resolvers.orders import editing, hubs, refunds, withdrawal
from resolvers.orders import points as points_cases
from schema.context import Info
from schema.orders.access import fresh_order, visible_order
from schema.orders.inputs import AddressInput, CheckoutInput, CreateHubInput
from schema.orders.queries import HUB_ADMIN, hub_view, shipping_origins_of
from schema.orders.types import (
    CartPayload,
    Hub,
    Order,
    OrderPayload,
    Points,
    ShippingOriginView,
    Withdrawal,
)
from schema.permissions import requires


def _address(a: AddressInput) -> checkout_cases.Address:
    return checkout_cases.Address(
        a.recipient, a.phone, a.line1, a.line2, a.postal_code, a.city, a.country
    )


async def _change_manager(info: Info, hub_id: str, user_id: str, *, add: bool) -> Hub:
    ctx = info.context
    hub = await hubs.change_manager(
        ctx.unit_of_work(),
        (await ctx.principal()).user_id,
        ctx.meta,
        hub_id=hub_id,
        user_id=user_id,
        add=add,
    )
    return await hub_view(info, hub)


@strawberry.type
class HubsMutation:
    @strawberry.mutation(
        extensions=requires(HUB_ADMIN),
        description="A new organisation or dealer HUB; a code or name in use fails with CONFLICT.",
    )
    async def create_hub(self, info: Info, input: CreateHubInput) -> Hub:
        ctx = info.context
        hub_id = await hubs.create_hub(
            ctx.unit_of_work(),
            (await ctx.principal()).user_id,
            ctx.meta,
            code=input.code,
            hub_type=input.type.value,
            name=input.name,
            owner=input.owner,
            location=input.location,
        )
        return await hub_view(info, hub_id)

    @strawberry.mutation(extensions=requires(HUB_ADMIN), description="Name a HUB manager.")
    async def add_hub_manager(
        self, info: Info, hub_id: strawberry.ID, user_id: strawberry.ID
    ) -> Hub:
        return await _change_manager(info, hub_id, user_id, add=True)

    @strawberry.mutation(extensions=requires(HUB_ADMIN), description="Remove a HUB manager.")
    async def remove_hub_manager(
        self, info: Info, hub_id: strawberry.ID, user_id: strawberry.ID
    ) -> Hub:
        return await _change_manager(info, hub_id, user_id, add=False)


@strawberry.type
class OrdersMutation(HubsMutation):
    @strawberry.mutation(extensions=requires(active_account=True))
    async def add_to_cart(
        self, info: Info, variant_id: strawberry.ID, quantity: int
    ) -> CartPayload:
        principal = await info.context.principal()
        await checkout_cases.add_to_cart(
            info.context.unit_of_work(), principal.user_id, variant_id, quantity
        )
        return CartPayload(user_id=principal.user_id)

    @strawberry.mutation(
        extensions=requires(active_account=True),
        description="Places the order and starts the payment saga (ORD-1, ORD-2).",
    )
    async def checkout(self, info: Info, input: CheckoutInput) -> OrderPayload:
        ctx = info.context
        principal = await ctx.principal()
        order_id = await checkout_cases.checkout(
            ctx.services,
            ctx.unit_of_work(),
            principal.user_id,
            origin_id=input.shipping_origin_id,
            address=_address(input.shipping_address),
            use_points=input.use_points,
            payment_method=input.payment_method,
            idempotency_key=input.idempotency_key,
        )
        return OrderPayload(order=Order(row=await fresh_order(info, order_id)))

    @strawberry.mutation(
        extensions=requires(),
        description="Starts the refund saga (ORD-3). CONFLICT PAYMENT_IN_PROGRESS while the "
        "order's payment saga still runs.",
    )
    async def request_refund(
        self, info: Info, order_id: strawberry.ID, reason: str, idempotency_key: str
    ) -> OrderPayload:
        order = await visible_order(info, order_id, write=True)
        await refunds.request_refund(
            info.context.services,
            info.context.unit_of_work(),
            order,
            actor=(await info.context.principal()).user_id,
            reason=reason,
            idempotency_key=idempotency_key,
        )
        return OrderPayload(order=Order(row=await fresh_order(info, order.id)))

    @strawberry.mutation(
        extensions=requires(),
        description="Change where an order ships; a stale expectedVersion fails with CONFLICT (ORD-8).",
    )
    async def update_order_shipping(
        self, info: Info, order_id: strawberry.ID, address: AddressInput, expected_version: int
    ) -> OrderPayload:
        order = await visible_order(info, order_id, write=True)
        await editing.update_shipping(
            info.context.unit_of_work(),
            (await info.context.principal()).user_id,
            order.id,
            _address(address),
            expected_version,
        )
        return OrderPayload(order=Order(row=await fresh_order(info, order.id)))

    @strawberry.mutation(extensions=requires(), description="Withdraw the account (ID-14).")
    async def withdraw(self, info: Info, reason: str | None = None) -> Withdrawal:
        principal = await info.context.principal()
        at = await withdrawal.withdraw(info.context.unit_of_work(), principal.user_id, reason)
        return Withdrawal(
            withdrawn_at=at, history_visible_until=withdrawal.history_visible_until(at)
        )

    @strawberry.mutation(
        extensions=requires("orders.points.grant"), description="Grant points (goodwill)."
    )
    async def grant_points(
        self, info: Info, user_id: strawberry.ID, points: int, idempotency_key: str
    ) -> Points:
        principal = await info.context.principal()
        target = await points_cases.grant(
            info.context.unit_of_work(),
            principal.user_id,
            user_id=user_id,
            amount=points,
            idempotency_key=idempotency_key,
        )
        return Points(balance=await points_cases.balance(info.context.db(), target), history=[])

    @strawberry.mutation(
        extensions=requires("orders.hubs.manage", active_account=True),
        description="Pre-order HUB stock from a logistics centre (ORD-7).",
    )
    async def transfer_stock(
        self,
        info: Info,
        hub_id: strawberry.ID,
        from_origin_id: strawberry.ID,
        variant_id: strawberry.ID,
        quantity: int,
        idempotency_key: str,
    ) -> list[ShippingOriginView]:
        principal = await info.context.principal()
        await hubs.transfer_stock(
            info.context.unit_of_work(),
            info.context.services.catalog_cache,
            principal.user_id,
            hub_id=hub_id,
            from_id=from_origin_id,
            variant_id=variant_id,
            quantity=quantity,
            idempotency_key=idempotency_key,
        )
        return await shipping_origins_of(info, variant_id, own_writes=True)
