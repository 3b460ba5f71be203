"""The catalog subgraph's types: products, options, variants, vendors, categories, the
inventory ledger and mutation payloads (CAT-1..CAT-9)."""

from __future__ import annotations

import asyncio
import enum
import uuid
from datetime import datetime
from typing import Any

import strawberry

from core.errors import ValidationFailed
from persistence.views.catalog import (
    CategoryView,
    OptionGroupView,
    ProductBundle,
    ProductView,
    VariantView,
)
from resolvers.catalog.rules import attribute_text
from schema.catalog.access import visible_bundle
from schema.context import Info
from schema.money import Money


@strawberry.enum
class SaleType(enum.Enum):
    RESERVATION = "RESERVATION"
    REALTIME = "REALTIME"


@strawberry.enum
class ProductStatus(enum.Enum):
    DRAFT = "DRAFT"
    IN_REVIEW = "IN_REVIEW"
    LAUNCHED = "LAUNCHED"
    SOLD_OUT = "SOLD_OUT"
    DISCONTINUED = "DISCONTINUED"


@strawberry.enum
class AttributeType(enum.Enum):
    STRING = "STRING"
    NUMBER = "NUMBER"
    BOOLEAN = "BOOLEAN"


@strawberry.type
class Attribute:
    key: str
    value: str


@strawberry.type
class AttributeDefinition:
    key: str
    type: AttributeType


@strawberry.type
class Category:
    view: strawberry.Private[CategoryView]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.id))

    @strawberry.field
    def name(self) -> str:
        return self.view.name

    @strawberry.field(description="Names from the root, separated by '/'.")
    def path(self) -> str:
        return self.view.path

    @strawberry.field
    async def parent(self, info: Info) -> Category | None:
        if self.view.parent_id is None:
            return None
        parent = await info.context.loaders.catalog.category(self.view.parent_id)
        return Category(view=parent) if parent else None

    @strawberry.field(description="Own and inherited attribute definitions.")
    def attribute_definitions(self) -> list[AttributeDefinition]:
        return [
            AttributeDefinition(key=k, type=AttributeType(t))
            for k, t in sorted(self.view.attribute_types.items())
        ]


@strawberry.federation.type(keys=["id"])
class Vendor:
    id: strawberry.ID
    name: str
    first_party: bool

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Vendor | None:
        try:
            view = await info.context.loaders.catalog.vendor(uuid.UUID(id))
        except ValueError:
            return None
        return cls(id=id, name=view.name, first_party=view.first_party) if view else None


@strawberry.type
class OptionValue:
    value: str
    extra_price: Money


@strawberry.type
class Option:
    name: str
    values: list[OptionValue]


def _options(groups: tuple[OptionGroupView, ...], currency: str) -> list[Option]:
    return [
        Option(
            name=g.name,
            values=[
                OptionValue(
                    value=v.value, extra_price=Money(amount=v.extra_price, currency=currency)
                )
                for v in g.values
            ],
        )
        for g in groups
    ]


@strawberry.federation.type(shareable=True)
class Variant:
    """Built eagerly with plain fields: a page holds hundreds of variants, and plain
    attributes cost a fraction of a resolver call each. Shareable: orders builds the
    variants of a cart from the same loaders (federation)."""

    id: strawberry.ID
    sku: str
    price: Money
    stock: int
    on_sale: bool
    available: bool = strawberry.field(
        description="Can be ordered now: launched, on sale and in stock."
    )
    option_values: list[str] = strawberry.field(
        description="The option values of this combination, in option order."
    )

    @classmethod
    def of(
        cls, view: VariantView, product: ProductView, groups: tuple[OptionGroupView, ...]
    ) -> Variant:
        names = {value.id: value.value for group in groups for value in group.values}
        return cls(
            id=strawberry.ID(str(view.id)),
            sku=view.sku,
            price=Money(amount=product.price_amount + view.extra_price, currency=product.currency),
            stock=view.stock,
            on_sale=view.on_sale,
            available=product.status == "LAUNCHED" and view.on_sale and view.stock > 0,
            option_values=[names[i] for i in view.option_value_ids if i in names],
        )


@strawberry.type
class PriceChange:
    old_price: Money
    new_price: Money
    changed_at: datetime


@strawberry.type
class LifecycleEntry:
    from_: ProductStatus = strawberry.field(name="from")
    to: ProductStatus
    reason: str | None
    at: datetime


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID
    view: strawberry.Private[ProductView]
    bundle: strawberry.Private[ProductBundle | None] = None

    @classmethod
    def of(cls, view: ProductView, bundle: ProductBundle | None = None) -> Product:
        return cls(id=strawberry.ID(str(view.id)), view=view, bundle=bundle)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Product | None:
        bundle = await visible_bundle(info, id)
        return None if bundle is None else cls.of(bundle.product, bundle)

    @strawberry.field
    def name(self) -> str:
        return self.view.name

    @strawberry.field
    def description(self) -> str:
        return self.view.description

    @strawberry.field
    def sale_type(self) -> SaleType:
        return SaleType(self.view.sale_type)

    @strawberry.field
    def status(self) -> ProductStatus:
        return ProductStatus(self.view.status)

    @strawberry.field(
        description="Optimistic-lock version; pass it as expectedVersion when editing."
    )
    def version(self) -> int:
        return self.view.version

    @strawberry.field
    def price(self) -> Money:
        return Money(amount=self.view.price_amount, currency=self.view.currency)

    @strawberry.field
    def attributes(self) -> list[Attribute]:
        return [
            Attribute(key=k, value=attribute_text(v))
            for k, v in sorted(self.view.attributes.items())
        ]

    @strawberry.field
    async def category(self, info: Info) -> Category:
        view = await info.context.loaders.catalog.category(self.view.category_id)
        assert view is not None, "products always reference an existing category"
        return Category(view=view)

    @strawberry.field
    async def vendor(self, info: Info) -> Vendor:
        view = await info.context.loaders.catalog.vendor(self.view.vendor_id)
        return Vendor(id=strawberry.ID(str(view.id)), name=view.name, first_party=view.first_party)

    async def _groups(self, info: Info) -> tuple[OptionGroupView, ...]:
        if self.bundle is not None:
            return self.bundle.options
        return await info.context.loaders.catalog.options.load(self.view.id)

    async def _variants(self, info: Info) -> list[VariantView]:
        if self.bundle is not None:
            return list(self.bundle.variants)
        return await info.context.loaders.catalog.variants.load(self.view.id)

    @strawberry.field
    async def options(self, info: Info) -> list[Option]:
        return _options(await self._groups(info), self.view.currency)

    @strawberry.field
    async def variants(self, info: Info) -> list[Variant]:
        groups, variants = await asyncio.gather(self._groups(info), self._variants(info))
        return [Variant.of(v, self.view, groups) for v in variants]

    @strawberry.field(description="Some variant can be ordered now.")
    async def available(self, info: Info) -> bool:
        return self.view.status == "LAUNCHED" and any(
            v.on_sale and v.stock > 0 for v in await self._variants(info)
        )

    @strawberry.field(
        description="When out of stock: in-stock products of the same category near this price (CAT-8)."
    )
    async def substitutes(self, info: Info, first: int = 5) -> list[Product]:
        if not 1 <= first <= 20:
            raise ValidationFailed("first must be between 1 and 20", field="first")
        if await self.available(info):
            return []
        return [
            Product.of(view)
            for view in await info.context.loaders.catalog.substitutes.load((self.view.id, first))
        ]

    @strawberry.field
    async def price_history(self, info: Info) -> list[PriceChange]:
        entries = await info.context.loaders.catalog.price_history.load(self.view.id)
        return [
            PriceChange(
                old_price=Money(amount=e.old_amount, currency=e.currency),
                new_price=Money(amount=e.new_amount, currency=e.currency),
                changed_at=e.changed_at,
            )
            for e in entries
        ]

    @strawberry.field
    async def lifecycle(self, info: Info) -> list[LifecycleEntry]:
        entries = await info.context.loaders.catalog.lifecycle.load(self.view.id)
        return [
            LifecycleEntry(
                from_=ProductStatus(e.from_status),
                to=ProductStatus(e.to_status),
                reason=e.reason,
                at=e.at,
            )
            for e in entries
        ]


# Payloads resolve after the mutation's commit (schema/mutations.py commits when the root
# field returns): loaders read through their own connections, which see committed rows only.
@strawberry.type
class ProductPayload:
    product_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.of(await info.context.loaders.catalog.product.load(self.product_id))


@strawberry.type
class AdjustStockPayload:
    variant_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def variant(self, info: Info) -> Variant:
        loaders = info.context.loaders.catalog
        variant = await loaders.variant.load(self.variant_id)
        product, groups = await asyncio.gather(
            loaders.product.load(variant.product_id), loaders.options.load(variant.product_id)
        )
        return Variant.of(variant, product, groups)


@strawberry.type
class StockMovement:
    """One row of the append-only inventory ledger (CAT-1, CAT-8)."""

    id: strawberry.ID
    variant_id: strawberry.ID
    sku: str
    delta: int
    stock_after: int
    reason: str
    actor_id: strawberry.ID | None = strawberry.field(
        description="Who changed the stock (a staff member, a HUB manager or the buyer)."
    )
    origin_id: strawberry.ID | None = strawberry.field(
        description="The shipping origin whose stock moved."
    )
    at: datetime

    @classmethod
    def of(cls, row: Any) -> StockMovement:
        def opt(value: uuid.UUID | None) -> strawberry.ID | None:
            return strawberry.ID(str(value)) if value else None

        return cls(
            id=strawberry.ID(str(row.id)),
            variant_id=strawberry.ID(str(row.variant_id)),
            sku=row.sku,
            delta=row.delta,
            stock_after=row.stock_after,
            reason=row.reason,
            actor_id=opt(row.actor_user_id),
            origin_id=opt(row.origin_id),
            at=row.at,
        )
