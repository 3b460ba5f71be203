"""The catalog subgraph's queries: public browsing and the staff-only stock ledger."""

from __future__ import annotations

import strawberry

from core.errors import NotFound
from persistence.repositories import catalog as repo
from resolvers.catalog.access import ensure_can_read_ledger
from resolvers.catalog.search import build_search
from resolvers.validation import parse_id
from schema.catalog.access import editor, visible_bundle
from schema.catalog.inputs import ProductFilter
from schema.catalog.types import Category, Product, StockMovement, Vendor
from schema.context import Info
from schema.pagination import (
    Connection,
    check_page_size,
    connection,
    cursor_key,
    encode_cursor,
)
from schema.permissions import requires


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
        async with info.context.services.db.read() as conn:
            rows, total = await repo.product_page(conn, search, after_seq, limit + 1)
        page = connection(
            rows,
            limit,
            lambda row: encode_cursor(row[0]),
            lambda row: Product.of(row[1]),
        )
        page.total_count = total
        return page

    @strawberry.field
    async def product(self, info: Info, id: strawberry.ID) -> Product:
        bundle = await visible_bundle(info, id)
        if bundle is None:
            raise NotFound("no such product", field="id")
        return Product.of(bundle.product, bundle)

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
        pid = await ensure_can_read_ledger(
            info.context.unit_of_work(), await editor(info), product_id
        )
        vid = None if variant_id is None else parse_id(variant_id, "variantId")
        async with info.context.services.db.read() as conn:
            rows = await repo.ledger_page(
                conn, pid, variant_id=vid, before_id=before_id, limit=limit + 1
            )
        return connection(rows, limit, lambda row: encode_cursor(row.id), StockMovement.of)
