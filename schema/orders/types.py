"""Orders subgraph types: orders with shipment, payment and saga, carts, points, HUBs."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import strawberry

from persistence.models.orders import Order as OrderRow
from persistence.repositories.orders import carts
from schema.catalog import Product, Variant
from schema.context import Info
from schema.money import Money


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


@strawberry.enum
class HubType(enum.Enum):
    ORG = "ORG"
    DEALER = "DEALER"


@strawberry.type
class HubManager:
    user_id: strawberry.ID
    display_name: str


@strawberry.type
class Hub:
    id: strawberry.ID
    code: str
    type: HubType
    name: str
    owner: str = strawberry.field(description="The owning department (ORG) or dealer (DEALER).")
    location: str

    @classmethod
    def of(cls, row: Any) -> Hub:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            type=HubType.ORG if row.kind == "ORG_HUB" else HubType.DEALER,
            name=row.name,
            owner=row.owner,
            location=row.location,
        )

    @strawberry.field
    async def managers(self, info: Info) -> list[HubManager]:
        rows = await info.context.loaders.orders.hub_managers.load(uuid.UUID(self.id))
        return [
            HubManager(user_id=strawberry.ID(str(r.id)), display_name=r.display_name) for r in rows
        ]


@strawberry.type
class CartPayload:
    user_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def cart(self, info: Info) -> Cart:
        return await cart_view(info, self.user_id)


async def cart_view(info: Info, user_id: uuid.UUID) -> Cart:
    """The user's cart as committed (a mutation's payload resolves it after its commit)."""
    loaders = info.context.loaders.catalog
    async with info.context.services.db.read() as conn:
        cart_id, lines = await carts.cart_of(conn, user_id)
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


@strawberry.type
class OrderPayload:
    order: Order
