"""Per-request DataLoaders (API-2): build a fresh `Loaders` for every operation.

Each domain's loaders are made on first use: an operation touches one or two domains, and
making every loader of every domain for each request costs more than the request's own work.
"""

from __future__ import annotations

from functools import cached_property

from dataloaders.catalog import CatalogLoaders
from dataloaders.identity import IdentityLoaders
from dataloaders.orders import OrdersLoaders
from dataloaders.reservations import ReservationsLoaders
from persistence.catalog_cache import CatalogCache
from persistence.database import Database


class Loaders:
    def __init__(self, db: Database, catalog_cache: CatalogCache, *, batching: bool) -> None:
        self._db = db
        self._catalog_cache = catalog_cache
        self._batching = batching

    @cached_property
    def identity(self) -> IdentityLoaders:
        return IdentityLoaders(self._db, batching=self._batching)

    @cached_property
    def catalog(self) -> CatalogLoaders:
        return CatalogLoaders(self._db, self._catalog_cache, batching=self._batching)

    @cached_property
    def orders(self) -> OrdersLoaders:
        return OrdersLoaders(self._db, batching=self._batching)

    @cached_property
    def reservations(self) -> ReservationsLoaders:
        return ReservationsLoaders(self._db, batching=self._batching)
