"""Catalog subgraph: products, options, variants, vendors, categories (CAT-1..CAT-9)."""

from __future__ import annotations

import asyncio
import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from core.errors import NotFound, ValidationFailed
from persistence.repositories import catalog as repo
from persistence.views.catalog import (
    CategoryView,
    OptionGroupView,
    ProductBundle,
    ProductView,
    VariantView,
)
from resolvers.catalog import products as product_cases
from resolvers.catalog import stock as stock_cases
from resolvers.catalog import structure
from resolvers.catalog.access import Editor
from resolvers.catalog.rules import attribute_text
from resolvers.catalog.search import build_search
from resolvers.validation import parse_id
from schema.context import Info
from schema.money import Money, MoneyInput
from schema.pagination import (
    Connection,
    check_page_size,
    connection,
    cursor_key,
    encode_cursor,
)
from schema.permissions import requires


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
        return await _visible_product(info, id)

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


async def _editor(info: Info) -> Editor:
    principal = await info.context.principal()
    permissions = await info.context.loaders.identity.permissions.load(principal.user_id)
    return Editor(principal.user_id, frozenset(permissions))


async def _visible_product(info: Info, raw_id: str) -> Product | None:
    """Launched and sold-out products are public; others only to who may edit them."""
    try:
        product_id = uuid.UUID(raw_id)
    except ValueError:
        return None
    bundle = await info.context.loaders.catalog.bundle.load(product_id)
    if bundle is None:
        return None
    if not bundle.product.is_public:
        principal = await info.context.optional_principal()
        if principal is None:
            return None
        editor = await _editor(info)
        if not editor.all_vendors and bundle.product.vendor_id not in (
            await info.context.loaders.catalog.staffed_vendors.load(editor.user_id)
        ):
            return None
    return Product.of(bundle.product, bundle)


@strawberry.input
class AttributeFilter:
    key: str
    equals: str


@strawberry.input
class ProductFilter:
    text: str | None = None
    category_id: strawberry.ID | None = None
    vendor_id: strawberry.ID | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    attributes: list[AttributeFilter] | None = None
    available_only: bool = False


@strawberry.input
class AttributeInput:
    key: str
    value: str


@strawberry.input
class OptionValueInput:
    value: str
    extra_price: MoneyInput | None = None


@strawberry.input
class OptionInput:
    name: str
    values: list[OptionValueInput]


@strawberry.input
class CreateProductInput:
    name: str
    sale_type: SaleType
    category_id: strawberry.ID
    vendor_id: strawberry.ID
    price: MoneyInput
    description: str = ""
    attributes: list[AttributeInput] | None = None
    options: list[OptionInput] | None = None


@strawberry.input
class AttributeDefinitionInput:
    key: str
    type: AttributeType


@strawberry.type
class ProductPayload:
    product: Product


@strawberry.type
class AdjustStockPayload:
    variant: Variant


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


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Public browsing with filters and keyset pagination (CAT-7).")
    async def products(
        self, info: Info, first: int, after: str | None = None, filter: ProductFilter | None = None
    ) -> Connection[Product]:
        limit = check_page_size(first)
        after_seq = cursor_key(after, int)
        f = filter or ProductFilter()
        search = build_search(
            await info.context.loaders.catalog.categories(),
            text=f.text,
            category_id=f.category_id,
            vendor_id=f.vendor_id,
            min_price=f.min_price,
            max_price=f.max_price,
            attributes=[(a.key, a.equals) for a in f.attributes or []],
            available_only=f.available_only,
        )
        db = info.context.services.db
        async with db.read() as conn:
            rows = (await conn.execute(repo.search_page(search, after_seq, limit + 1))).all()
            total = await conn.scalar(repo.search_count(search))
        page = connection(
            rows,
            limit,
            lambda row: encode_cursor(row.seq),
            lambda row: Product.of(repo.product_view(row)),
        )
        page.total_count = total
        return page

    @strawberry.field
    async def product(self, info: Info, id: strawberry.ID) -> Product:
        product = await _visible_product(info, id)
        if product is None:
            raise NotFound("no such product", field="id")
        return product

    @strawberry.field
    async def categories(self, info: Info) -> list[Category]:
        return [Category(view=view) for view in await info.context.loaders.catalog.categories()]

    @strawberry.field
    async def vendors(self, info: Info) -> list[Vendor]:
        async with info.context.services.db.read() as conn:
            rows = await repo.all_vendors(conn)
        return [
            Vendor(id=strawberry.ID(str(v.id)), name=v.name, first_party=v.first_party)
            for v in rows
        ]

    @strawberry.field(
        extensions=requires("catalog.products.edit"),
        description="A product's inventory ledger, newest first: catalog managers and the "
        "owning vendor's staff only (CAT-8).",
    )
    async def stock_ledger(
        self,
        info: Info,
        product_id: strawberry.ID,
        first: int = 20,
        after: str | None = None,
        variant_id: strawberry.ID | None = None,
    ) -> Connection[StockMovement]:
        limit = check_page_size(first)
        before_id = cursor_key(after, int)
        pid = await stock_cases.ensure_can_read_ledger(
            info.context.db(), await _editor(info), product_id
        )
        vid = None if variant_id is None else parse_id(variant_id, "variantId")
        async with info.context.services.db.read() as conn:
            rows = await repo.ledger_page(
                conn, pid, variant_id=vid, before_id=before_id, limit=limit + 1
            )
        return connection(rows, limit, lambda row: encode_cursor(row.id), StockMovement.of)


async def _product_payload(info: Info, product_id: uuid.UUID) -> ProductPayload:
    views = await info.context.loaders.catalog.product.load(product_id)
    return ProductPayload(product=Product.of(views))


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(extensions=requires("catalog.products.edit"))
    async def create_product(self, info: Info, input: CreateProductInput) -> ProductPayload:
        spec = product_cases.NewProduct(
            name=input.name,
            description=input.description,
            sale_type=input.sale_type.value,
            category_id=input.category_id,
            vendor_id=input.vendor_id,
            price=(input.price.amount, input.price.currency),
            attributes=[(a.key, a.value) for a in input.attributes or []],
            options=[
                (
                    o.name,
                    [
                        (
                            v.value,
                            v.extra_price.amount if v.extra_price else Decimal(0),
                            v.extra_price.currency if v.extra_price else input.price.currency,
                        )
                        for v in o.values
                    ],
                )
                for o in input.options or []
            ],
        )
        ctx = info.context
        product_id = await product_cases.create_product(
            ctx.db(), ctx.services.catalog_cache, await _editor(info), spec
        )
        return await _product_payload(info, product_id)

    @strawberry.mutation(extensions=requires("catalog.products.edit"))
    async def change_product_price(
        self, info: Info, id: strawberry.ID, price: MoneyInput, expected_version: int
    ) -> ProductPayload:
        ctx = info.context
        product_id = await product_cases.change_price(
            ctx.db(),
            ctx.services.catalog_cache,
            await _editor(info),
            product_id=id,
            amount=price.amount,
            currency=price.currency,
            expected_version=expected_version,
        )
        return await _product_payload(info, product_id)

    @strawberry.mutation(extensions=requires("catalog.products.edit"))
    async def transition_product(
        self, info: Info, id: strawberry.ID, to: ProductStatus, reason: str | None = None
    ) -> ProductPayload:
        ctx = info.context
        product_id = await product_cases.transition(
            ctx.db(),
            ctx.services.catalog_cache,
            await _editor(info),
            product_id=id,
            target=to.value,
            reason=reason,
        )
        return await _product_payload(info, product_id)

    @strawberry.mutation(extensions=requires("catalog.products.edit"))
    async def adjust_stock(
        self, info: Info, variant_id: strawberry.ID, delta: int, reason: str, idempotency_key: str
    ) -> AdjustStockPayload:
        ctx = info.context
        vid = await stock_cases.adjust_stock(
            ctx.db(),
            ctx.services.catalog_cache,
            await _editor(info),
            variant_id=variant_id,
            delta=delta,
            reason=reason,
            idempotency_key=idempotency_key,
        )
        variant = await ctx.loaders.catalog.variant.load(vid)
        product = await ctx.loaders.catalog.product.load(variant.product_id)
        groups = await ctx.loaders.catalog.options.load(variant.product_id)
        return AdjustStockPayload(variant=Variant.of(variant, product, groups))

    @strawberry.mutation(extensions=requires("catalog.structure.manage"))
    async def create_category(
        self,
        info: Info,
        name: str,
        parent_id: strawberry.ID | None = None,
        attribute_definitions: list[AttributeDefinitionInput] | None = None,
    ) -> Category:
        ctx = info.context
        category_id = await structure.create_category(
            ctx.db(),
            ctx.services.catalog_cache,
            name=name,
            parent_id=parent_id,
            attributes=[(a.key, a.type.value) for a in attribute_definitions or []],
        )
        view = next(c for c in await ctx.services.catalog_cache.categories() if c.id == category_id)
        return Category(view=view)

    @strawberry.mutation(extensions=requires("catalog.structure.manage"))
    async def create_vendor(self, info: Info, name: str, first_party: bool = False) -> Vendor:
        vendor_id = await structure.create_vendor(
            info.context.db(),
            info.context.services.catalog_cache,
            name=name,
            first_party=first_party,
        )
        return Vendor(id=strawberry.ID(str(vendor_id)), name=name.strip(), first_party=first_party)

    @strawberry.mutation(extensions=requires("catalog.structure.manage"))
    async def add_vendor_staff(
        self, info: Info, vendor_id: strawberry.ID, user_id: strawberry.ID
    ) -> Vendor:
        vid = await structure.add_vendor_staff(
            info.context.db(), vendor_id=vendor_id, user_id=user_id
        )
        view = await info.context.loaders.catalog.vendor(vid)
        return Vendor(id=strawberry.ID(str(view.id)), name=view.name, first_party=view.first_party)
