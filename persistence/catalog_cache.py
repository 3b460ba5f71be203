"""Named cache entries of the catalog: the category tree and product bundles (CAT-9)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from persistence.cache import Cache
from persistence.database import Database
from persistence.repositories import catalog as repo
from persistence.unit_of_work import UnitOfWork
from persistence.views.catalog import CategoryView, ProductBundle, VendorView

CATEGORIES = "catalog:categories"
VENDORS = "catalog:vendors"


def product_key(product_id: uuid.UUID) -> str:
    return f"catalog:product:{product_id}"


def _category_from_json(data: dict[str, Any]) -> CategoryView:
    return CategoryView(
        id=uuid.UUID(data["id"]),
        parent_id=uuid.UUID(data["parent_id"]) if data["parent_id"] else None,
        name=data["name"],
        path=data["path"],
        lineage=tuple(uuid.UUID(i) for i in data["lineage"]),
        attribute_types=data["attribute_types"],
    )


async def load_bundles(db: Database, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ProductBundle]:
    """Products with options and variants straight from PostgreSQL (three statements)."""
    async with db.read() as conn:
        products = await repo.products_by_ids(conn, ids)
        options = await repo.options_by_products(conn, list(products))
        variants = await repo.variants_by_products(conn, list(products))
    return {
        pid: ProductBundle(product, options.get(pid, ()), tuple(variants.get(pid, ())))
        for pid, product in products.items()
    }


class CatalogCache:
    def __init__(self, cache: Cache, db: Database) -> None:
        self._cache = cache
        self._db = db

    async def generation(self) -> str:
        """Changes on every catalog write: keys derived from it go stale together."""
        return await self._cache.generation()

    async def categories(self) -> list[CategoryView]:
        async def load(_: list[str]) -> dict[str, Any]:
            async with self._db.read() as conn:
                return {CATEGORIES: [asdict(c) for c in await repo.all_categories(conn)]}

        found = await self._cache.get_many([CATEGORIES], load)
        return [_category_from_json(item) for item in found[CATEGORIES]]

    async def vendors(self) -> dict[uuid.UUID, VendorView]:
        """Every vendor (a marketplace has hundreds, not millions): one cached entry."""

        async def load(_: list[str]) -> dict[str, Any]:
            async with self._db.read() as conn:
                return {VENDORS: [asdict(v) for v in await repo.all_vendors(conn)]}

        found = await self._cache.get_many([VENDORS], load)
        views = (
            VendorView(uuid.UUID(v["id"]), v["name"], v["first_party"]) for v in found[VENDORS]
        )
        return {view.id: view for view in views}

    async def bundles(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ProductBundle]:
        async def load(names: list[str]) -> dict[str, Any]:
            wanted = [uuid.UUID(name.rsplit(":", 1)[1]) for name in names]
            loaded = await load_bundles(self._db, wanted)
            return {product_key(pid): bundle.to_json() for pid, bundle in loaded.items()}

        found = await self._cache.get_many([product_key(i) for i in ids], load)
        return {
            pid: ProductBundle.from_json(found[product_key(pid)])
            for pid in ids
            if product_key(pid) in found
        }

    # Writers: the entries go stale when their unit of work commits (persistence/cache.py).
    def products_changed(self, uow: UnitOfWork, *ids: uuid.UUID) -> None:
        self._cache.invalidate_on_commit(uow, *(product_key(i) for i in sorted(set(ids))))

    def categories_changed(self, uow: UnitOfWork) -> None:
        self._cache.invalidate_on_commit(uow, CATEGORIES)

    def vendors_changed(self, uow: UnitOfWork) -> None:
        self._cache.invalidate_on_commit(uow, VENDORS)

    # At once, outside any transaction: for tests and tools that want cold caches.
    async def invalidate_products(self, *ids: uuid.UUID) -> None:
        await self._cache.invalidate(*(product_key(i) for i in ids))

    async def invalidate_categories(self) -> None:
        await self._cache.invalidate(CATEGORIES)

    async def invalidate_vendors(self) -> None:
        await self._cache.invalidate(VENDORS)
