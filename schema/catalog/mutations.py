"""The catalog subgraph's mutations: each hands the request's unit of work to a use case in
resolvers/catalog/, which writes and flushes; schema/mutations.py commits once."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from resolvers.catalog import products as product_cases
from resolvers.catalog import stock as stock_cases
from resolvers.catalog import structure
from schema.catalog.access import editor
from schema.catalog.inputs import AttributeDefinitionInput, CreateProductInput
from schema.catalog.types import (
    AdjustStockPayload,
    Category,
    ProductPayload,
    ProductStatus,
    Vendor,
)
from schema.context import Info
from schema.money import MoneyInput
from schema.permissions import requires


def _new_product(input: CreateProductInput) -> product_cases.NewProduct:
    return product_cases.NewProduct(
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


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(extensions=requires("catalog.products.edit"))
    async def create_product(self, info: Info, input: CreateProductInput) -> ProductPayload:
        ctx = info.context
        product_id = await product_cases.create_product(
            ctx.unit_of_work(), ctx.services.catalog_cache, await editor(info), _new_product(input)
        )
        return ProductPayload(product_id=product_id)

    @strawberry.mutation(extensions=requires("catalog.products.edit"))
    async def change_product_price(
        self, info: Info, id: strawberry.ID, price: MoneyInput, expected_version: int
    ) -> ProductPayload:
        ctx = info.context
        product_id = await product_cases.change_price(
            ctx.unit_of_work(),
            ctx.services.catalog_cache,
            await editor(info),
            product_id=id,
            amount=price.amount,
            currency=price.currency,
            expected_version=expected_version,
        )
        return ProductPayload(product_id=product_id)

    @strawberry.mutation(extensions=requires("catalog.products.edit"))
    async def transition_product(
        self, info: Info, id: strawberry.ID, to: ProductStatus, reason: str | None = None
    ) -> ProductPayload:
        ctx = info.context
        product_id = await product_cases.transition(
            ctx.unit_of_work(),
            ctx.services.catalog_cache,
            await editor(info),
            product_id=id,
            target=to.value,
            reason=reason,
        )
        return ProductPayload(product_id=product_id)

    @strawberry.mutation(extensions=requires("catalog.products.edit"))
    async def adjust_stock(
        self, info: Info, variant_id: strawberry.ID, delta: int, reason: str, idempotency_key: str
    ) -> AdjustStockPayload:
        ctx = info.context
        vid = await stock_cases.adjust_stock(
            ctx.unit_of_work(),
            ctx.services.catalog_cache,
            await editor(info),
            variant_id=variant_id,
            delta=delta,
            reason=reason,
            idempotency_key=idempotency_key,
        )
        return AdjustStockPayload(variant_id=vid)

    @strawberry.mutation(extensions=requires("catalog.structure.manage"))
    async def create_category(
        self,
        info: Info,
        name: str,
        parent_id: strawberry.ID | None = None,
        attribute_definitions: list[AttributeDefinitionInput] | None = None,
    ) -> Category:
        ctx = info.context
        view = await structure.create_category(
            ctx.unit_of_work(),
            ctx.services.catalog_cache,
            name=name,
            parent_id=parent_id,
            attributes=[(a.key, a.type.value) for a in attribute_definitions or []],
        )
        return Category(view=view)

    @strawberry.mutation(extensions=requires("catalog.structure.manage"))
    async def create_vendor(self, info: Info, name: str, first_party: bool = False) -> Vendor:
        vendor_id = await structure.create_vendor(
            info.context.unit_of_work(),
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
            info.context.unit_of_work(), vendor_id=vendor_id, user_id=user_id
        )
        view = await info.context.loaders.catalog.vendor(vid)
        return Vendor(id=strawberry.ID(str(view.id)), name=view.name, first_party=view.first_party)
