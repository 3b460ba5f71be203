"""Catalog loaders: each relation of a page of products costs one statement (API-2)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader

from persistence.catalog_cache import CatalogCache
from persistence.database import Database
from persistence.repositories import catalog as repo
from persistence.views.catalog import CategoryView, ProductBundle, VendorView

K = TypeVar("K")
V = TypeVar("V")


class CatalogLoaders:
    def __init__(self, db: Database, cache: CatalogCache, *, batching: bool) -> None:
        self._db = db
        self._cache = cache
        # Futures, not values: items resolved side by side share one read of a cold cache.
        self._categories: asyncio.Future[list[CategoryView]] | None = None
        self._vendors: asyncio.Future[dict[uuid.UUID, VendorView]] | None = None

        def loader(
            fetch: Callable[[Any, Sequence[Any]], Awaitable[dict[Any, Any]]], default: Any = None
        ) -> DataLoader:
            async def batch(keys: Sequence[Any]) -> list[Any]:
                async with db.read() as conn:
                    found = await fetch(conn, keys)
                return [found.get(key, default() if callable(default) else default) for key in keys]

            return DataLoader(batch, batch=batching)

        self.product = loader(repo.products_by_ids)
        self.variant = loader(repo.variants_by_ids)
        self.options = loader(repo.options_by_products, tuple)
        self.variants = loader(repo.variants_by_products, list)
        self.price_history = loader(repo.price_history_by_products, list)
        self.lifecycle = loader(repo.lifecycle_by_products, list)
        self.staffed_vendors = loader(repo.vendors_staffed_by, frozenset)
        self.bundle = DataLoader(self._bundles, batch=batching)
        self.substitutes = DataLoader(self._substitutes, batch=batching)

    async def categories(self) -> list[CategoryView]:
        """The category tree, from the hot-read cache, once per operation."""
        if self._categories is None:
            self._categories = asyncio.ensure_future(self._cache.categories())
        return await self._categories

    async def category(self, category_id: uuid.UUID) -> CategoryView | None:
        return next((c for c in await self.categories() if c.id == category_id), None)

    async def vendor(self, vendor_id: uuid.UUID) -> VendorView | None:
        """Vendors, from the hot-read cache, once per operation."""
        if self._vendors is None:
            self._vendors = asyncio.ensure_future(self._cache.vendors())
        return (await self._vendors).get(vendor_id)

    async def _bundles(self, ids: Sequence[uuid.UUID]) -> list[ProductBundle | None]:
        found = await self._cache.bundles(ids)
        return [found.get(i) for i in ids]

    async def _substitutes(self, keys: Sequence[tuple[uuid.UUID, int]]) -> list[list[Any]]:
        limit = max(limit for _, limit in keys)
        async with self._db.read() as conn:
            found = await repo.substitutes_by_products(conn, [pid for pid, _ in keys], limit)
        return [found.get(pid, [])[:n] for pid, n in keys]
