"""Orders subgraph: cart, checkout, orders with their sagas, refunds, points, HUBs (ORD-1..ORD-8, ID-14)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import func, select, tuple_

from core.errors import Forbidden, NotFound
from persistence.models.identity import User as UserRow
from persistence.models.orders import Cart as CartRow
from persistence.models.orders import (
    CartLine,
    OriginStock,
    PointsEntry,
    ShippingOrigin,
)
from persistence.models.orders import Order as OrderRow
from resolvers.orders import checkout as checkout_cases
from resolvers.orders import editing, hubs, refunds, withdrawal
from resolvers.orders import points as points_cases
from resolvers.orders.status import order_status, order_topic
from schema.catalog import Product, Variant
from schema.context import Info
from schema.money import Money
from schema.orders_hubs import HubsMutation, HubsQuery
from schema.pagination import (
    Connection,
    PageInfo,
    check_page_size,
    connection,
    decode_cursor,
    encode_cursor,
)
from schema.permissions import has_permission, requires


@strawberry.enum
class OriginKind(enum.Enum):
    LOGISTICS_CENTER = "LOGISTICS_CENTER"
    ORG_HUB = "ORG_HUB"
    DEALER_HUB = "DEALER_HUB"


@strawberry.enum
class OrderStatus(enum.Enum):
    PENDING = "PENDING"
    PAID = "PAID"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    FAILED = "FAILED"


@strawberry.type(name="ShippingOrigin")
class ShippingOriginView:
    id: strawberry.ID
    kind: OriginKind
    name: str
    available_quantity: int = strawberry.field(
        description="What it can still ship of the variant asked for."
    )


@strawberry.type(name="CartLine")
class CartLineView:
    variant: Variant
    quantity: int


@strawberry.type
class Cart:
    id: strawberry.ID
    lines: list[CartLineView]
    total: Money


@strawberry.type(name="Origin")
class OriginView:
    id: strawberry.ID
    kind: OriginKind
    name: str


@strawberry.type(name="Shipment")
class ShipmentView:
    origin: OriginView
    status: str


@strawberry.type(name="Payment")
class PaymentView:
    status: str
    provider: str
    provider_reference: str | None
    amount: Money


@strawberry.type(name="SagaStep")
class SagaStepView:
    name: str
    kind: str
    status: str
    attempts: int
    last_error: str | None = strawberry.field(
        description="A safe message about the last failure (never exception text)."
    )
    last_error_code: str | None = strawberry.field(
        default=None, description="Stable code of the last failure, e.g. PAYMENT_REJECTED."
    )


@strawberry.type(name="Saga")
class SagaView:
    kind: str
    state: str
    steps: list[SagaStepView]


@strawberry.type
class Order:
    row: strawberry.Private[OrderRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def status(self) -> OrderStatus:
        return OrderStatus(self.row.status)

    @strawberry.field(description="Optimistic-lock version (ORD-8).")
    def version(self) -> int:
        return self.row.version

    @strawberry.field
    def total(self) -> Money:
        return Money(amount=self.row.total_amount, currency=self.row.currency)

    @strawberry.field
    def subtotal(self) -> Money:
        return Money(amount=self.row.subtotal_amount, currency=self.row.currency)

    @strawberry.field
    def points_used(self) -> int:
        return self.row.points_used

    @strawberry.field
    def points_earned(self) -> int:
        return self.row.points_earned

    @strawberry.field
    def placed_at(self) -> datetime:
        return self.row.placed_at

    @strawberry.field
    async def shipment(self, info: Info) -> ShipmentView:
        row = await info.context.loaders.orders.shipment.load(self.row.id)
        origin = OriginView(id=strawberry.ID(str(row.id)), kind=OriginKind(row.kind), name=row.name)
        return ShipmentView(origin=origin, status=row.status)

    @strawberry.field
    async def payment(self, info: Info) -> PaymentView:
        row = await info.context.loaders.orders.payment.load(self.row.id)
        return PaymentView(
            status=row.status,
            provider=row.provider,
            provider_reference=row.provider_reference,
            amount=Money(amount=row.amount, currency=row.currency),
        )

    @strawberry.field(description="The newest saga driving this order (payment, or a refund).")
    async def saga(self, info: Info) -> SagaView | None:
        saga = await info.context.loaders.orders.saga.load(self.row.id)
        if saga is None:
            return None
        steps = saga.steps
        return SagaView(
            kind=saga.kind,
            state=saga.state,
            steps=[
                SagaStepView(
                    name=s.name,
                    kind=s.kind,
                    status=s.status,
                    attempts=s.attempts,
                    last_error=s.last_error,
                    last_error_code=s.last_error_code,
                )
                for s in steps
            ],
        )

    @strawberry.field(description="What was bought, as priced at checkout (ID-14).")
    async def lines(self, info: Info) -> list[OrderLineView]:
        rows = await info.context.loaders.orders.lines.load(self.row.id)
        return [OrderLineView.of(r, self.row.currency) for r in rows]


@strawberry.type(name="OrderLine")
class OrderLineView:
    product_id: strawberry.ID
    variant_id: strawberry.ID
    sku: str
    name: str = strawberry.field(description="The product's name when it was ordered.")
    quantity: int
    unit_price: Money
    line_total: Money

    @classmethod
    def of(cls, row: Any, currency: str) -> OrderLineView:
        return cls(
            product_id=strawberry.ID(str(row.product_id)),
            variant_id=strawberry.ID(str(row.variant_id)),
            sku=row.sku,
            name=row.name,
            quantity=row.quantity,
            unit_price=Money(amount=row.unit_price, currency=currency),
            line_total=Money(amount=row.unit_price * row.quantity, currency=currency),
        )

    @strawberry.field(
        description="The product as the catalog shows it now (null once the catalog no "
        "longer shows it to the caller). Behind a federation gateway the catalog subgraph "
        "resolves it: orders holds only the reference."
    )
    async def product(self, info: Info) -> Product | None:
        return await Product.resolve_reference(info, self.product_id)


@strawberry.type
class OrderUpdate:
    id: strawberry.ID
    status: OrderStatus


@strawberry.type
class PointsMovement:
    delta: int
    reason: str
    at: datetime


@strawberry.type
class Points:
    balance: int
    history: list[PointsMovement]


@strawberry.type
class Withdrawal:
    withdrawn_at: datetime
    history_visible_until: datetime


@strawberry.input
class AddressInput:
    recipient: str
    phone: str
    line1: str
    postal_code: str
    city: str
    country: str
    line2: str = ""


@strawberry.input
class CheckoutInput:
    shipping_origin_id: strawberry.ID
    shipping_address: AddressInput
    payment_method: str
    idempotency_key: str
    use_points: int = 0


@strawberry.type
class CartPayload:
    cart: Cart


@strawberry.type
class OrderPayload:
    order: Order


async def _cart(info: Info, user_id: uuid.UUID) -> Cart:
    loaders = info.context.loaders.catalog
    async with info.context.services.db.read() as conn:
        cart_id = await conn.scalar(select(CartRow.id).where(CartRow.user_id == user_id))
        lines = (
            (
                await conn.execute(
                    select(CartLine.variant_id, CartLine.quantity)
                    .where(CartLine.cart_id == cart_id)
                    .order_by(CartLine.variant_id)
                )
            ).all()
            if cart_id
            else []
        )
    variants = await loaders.variant.load_many([line.variant_id for line in lines])
    products = await loaders.product.load_many([v.product_id for v in variants])
    groups = await loaders.options.load_many([v.product_id for v in variants])
    views = [
        CartLineView(variant=Variant.of(v, p, g), quantity=line.quantity)
        for line, v, p, g in zip(lines, variants, products, groups, strict=True)
    ]
    currency = products[0].currency if products else "KRW"
    total = sum((line.variant.price.amount * line.quantity for line in views), start=0)
    return Cart(
        id=strawberry.ID(str(cart_id or uuid.UUID(int=0))),
        lines=views,
        total=Money(amount=total, currency=currency),
    )


async def _visible_order(info: Info, raw_id: str, *, write: bool = False) -> OrderRow:
    """The caller's own order (within the withdrawal window) or, with orders.read_all,
    anyone's; changing another's order (`write`) needs orders.write_all (ID-12)."""
    principal = await info.context.principal()
    try:
        order_id = uuid.UUID(raw_id)
    except ValueError as exc:
        raise NotFound("no such order", field="id") from exc
    session = info.context.db()
    order = await session.get(OrderRow, order_id)
    if order is None:
        raise NotFound("no such order", field="id")
    if order.user_id != principal.user_id:
        if not await has_permission(info, "orders.read_all"):
            raise NotFound("no such order", field="id")
        if write and not await has_permission(info, "orders.write_all"):
            raise Forbidden("needs orders.write_all", extra={"permission": "orders.write_all"})
        return order
    withdrawn_at = await session.scalar(
        select(UserRow.withdrawn_at).where(UserRow.id == order.user_id)
    )
    if not withdrawal.history_visible(withdrawn_at):
        raise NotFound("no such order", field="id")
    return order


@strawberry.type
class OrdersQuery(HubsQuery):
    @strawberry.field(extensions=requires())
    async def my_cart(self, info: Info) -> Cart:
        return await _cart(info, (await info.context.principal()).user_id)

    @strawberry.field(
        description="Where a variant can ship from, with what each origin can still ship (ORD-7)."
    )
    async def shipping_origins(
        self, info: Info, variant_id: strawberry.ID
    ) -> list[ShippingOriginView]:
        try:
            vid = uuid.UUID(variant_id)
        except ValueError as exc:
            raise NotFound("no such variant", field="variantId") from exc
        async with info.context.services.db.read() as conn:
            rows = (
                await conn.execute(
                    select(
                        ShippingOrigin.id,
                        ShippingOrigin.kind,
                        ShippingOrigin.name,
                        func.coalesce(OriginStock.quantity, 0).label("quantity"),
                    )
                    .outerjoin(
                        OriginStock,
                        (OriginStock.origin_id == ShippingOrigin.id)
                        & (OriginStock.variant_id == vid),
                    )
                    .order_by(ShippingOrigin.kind, ShippingOrigin.name)
                )
            ).all()
        return [
            ShippingOriginView(
                id=strawberry.ID(str(r.id)),
                kind=OriginKind(r.kind),
                name=r.name,
                available_quantity=r.quantity,
            )
            for r in rows
        ]

    @strawberry.field(extensions=requires())
    async def order(self, info: Info, id: strawberry.ID) -> Order:
        return Order(row=await _visible_order(info, id))

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
        withdrawn_at = await session.scalar(
            select(UserRow.withdrawn_at).where(UserRow.id == principal.user_id)
        )
        if not withdrawal.history_visible(withdrawn_at):
            return Connection(edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None))
        query = (
            select(OrderRow)
            .where(OrderRow.user_id == principal.user_id)
            .order_by(OrderRow.placed_at.desc(), OrderRow.id.desc())
            .limit(limit + 1)
        )
        if cursor is not None:
            try:
                query = query.where(
                    tuple_(OrderRow.placed_at, OrderRow.id)
                    < (datetime.fromisoformat(cursor[0]), uuid.UUID(cursor[1]))
                )
            except (ValueError, IndexError, TypeError) as exc:
                raise NotFound("not a cursor from this API", field="after") from exc
        rows = list(await session.scalars(query))
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
        history = await session.scalars(
            select(PointsEntry)
            .where(PointsEntry.user_id == principal.user_id)
            .order_by(PointsEntry.id.desc())
            .limit(100)
        )
        return Points(
            balance=await points_cases.balance(session, principal.user_id),
            history=[PointsMovement(delta=e.delta, reason=e.reason, at=e.at) for e in history],
        )


@strawberry.type
class OrdersMutation(HubsMutation):
    @strawberry.mutation(extensions=requires(active_account=True))
    async def add_to_cart(
        self, info: Info, variant_id: strawberry.ID, quantity: int
    ) -> CartPayload:
        principal = await info.context.principal()
        await checkout_cases.add_to_cart(info.context.db(), principal.user_id, variant_id, quantity)
        return CartPayload(cart=await _cart(info, principal.user_id))

    @strawberry.mutation(
        extensions=requires(active_account=True),
        description="Places the order and starts the payment saga (ORD-1, ORD-2).",
    )
    async def checkout(self, info: Info, input: CheckoutInput) -> OrderPayload:
        ctx = info.context
        principal = await ctx.principal()
        a = input.shipping_address
        order_id = await checkout_cases.checkout(
            ctx.services,
            ctx.db(),
            principal.user_id,
            origin_id=input.shipping_origin_id,
            address=checkout_cases.Address(
                a.recipient, a.phone, a.line1, a.line2, a.postal_code, a.city, a.country
            ),
            use_points=input.use_points,
            payment_method=input.payment_method,
            idempotency_key=input.idempotency_key,
        )
        return OrderPayload(order=Order(row=await _fresh(info, order_id)))

    @strawberry.mutation(
        extensions=requires(),
        description="Starts the refund saga (ORD-3). CONFLICT PAYMENT_IN_PROGRESS while the "
        "order's payment saga still runs.",
    )
    async def request_refund(
        self, info: Info, order_id: strawberry.ID, reason: str, idempotency_key: str
    ) -> OrderPayload:
        order = await _visible_order(info, order_id, write=True)
        await refunds.request_refund(
            info.context.services,
            info.context.db(),
            order,
            actor=(await info.context.principal()).user_id,
            reason=reason,
            idempotency_key=idempotency_key,
        )
        return OrderPayload(order=Order(row=await _fresh(info, order.id)))

    @strawberry.mutation(
        extensions=requires(),
        description="Change where an order ships; a stale expectedVersion fails with CONFLICT (ORD-8).",
    )
    async def update_order_shipping(
        self, info: Info, order_id: strawberry.ID, address: AddressInput, expected_version: int
    ) -> OrderPayload:
        order = await _visible_order(info, order_id, write=True)
        a = address
        await editing.update_shipping(
            info.context.db(),
            (await info.context.principal()).user_id,
            order.id,
            checkout_cases.Address(
                a.recipient, a.phone, a.line1, a.line2, a.postal_code, a.city, a.country
            ),
            expected_version,
        )
        return OrderPayload(order=Order(row=await _fresh(info, order.id)))

    @strawberry.mutation(extensions=requires(), description="Withdraw the account (ID-14).")
    async def withdraw(self, info: Info, reason: str | None = None) -> Withdrawal:
        principal = await info.context.principal()
        at = await withdrawal.withdraw(info.context.db(), principal.user_id, reason)
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
        session = info.context.db()
        target = await points_cases.grant(
            session,
            principal.user_id,
            user_id=user_id,
            amount=points,
            idempotency_key=idempotency_key,
        )
        return Points(balance=await points_cases.balance(session, target), history=[])

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
            info.context.db(),
            info.context.services.catalog_cache,
            principal.user_id,
            hub_id=hub_id,
            from_id=from_origin_id,
            variant_id=variant_id,
            quantity=quantity,
            idempotency_key=idempotency_key,
        )
        return await OrdersQuery().shipping_origins(info, variant_id)


async def _fresh(info: Info, order_id: uuid.UUID) -> OrderRow:
    async with info.context.services.db.unit_of_work() as session:
        order = await session.get(OrderRow, order_id)
        assert order is not None
        session.expunge(order)
        return order


@strawberry.type
class OrdersSubscription:
    @strawberry.subscription(
        extensions=requires(), description="Live status of one of the caller's orders."
    )
    async def order_updates(
        self, info: Info, order_id: strawberry.ID
    ) -> AsyncGenerator[OrderUpdate, None]:
        order = await _visible_order(info, order_id)
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
