"""Per-request DataLoaders (API-2): build a fresh `Loaders` for every operation.

Each domain's loaders are made on first use: an operation touches one or two domains, and
making every loader of every domain for each request costs more than the request's own work.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from dataloaders.catalog import CatalogLoaders
from dataloaders.identity import IdentityLoaders
from dataloaders.orders import OrdersLoaders
from dataloaders.reservations import ReservationsLoaders

if TYPE_CHECKING:
    from resolvers.services import Services


class Loaders:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._batching = services.settings.dataloader_batching

    @cached_property
    def identity(self) -> IdentityLoaders:
        return IdentityLoaders(self._services.db, batching=self._batching)

    @cached_property
    def catalog(self) -> CatalogLoaders:
        return CatalogLoaders(
            self._services.db, self._services.catalog_cache, batching=self._batching
        )

    @cached_property
    def orders(self) -> OrdersLoaders:
        return OrdersLoaders(self._services.db, batching=self._batching)

    @cached_property
    def reservations(self) -> ReservationsLoaders:
        return ReservationsLoaders(self._services.db, batching=self._batching)
