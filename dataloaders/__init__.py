"""Per-request DataLoaders (API-2): build a fresh `Loaders` for every operation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataloaders.catalog import CatalogLoaders
from dataloaders.identity import IdentityLoaders
from dataloaders.orders import OrdersLoaders
from dataloaders.reservations import ReservationsLoaders

if TYPE_CHECKING:
    from resolvers.services import Services


class Loaders:
    def __init__(self, services: Services) -> None:
        batching = services.settings.dataloader_batching
        self.identity = IdentityLoaders(services.db, batching=batching)
        self.catalog = CatalogLoaders(services.db, services.catalog_cache, batching=batching)
        self.orders = OrdersLoaders(services.db, batching=batching)
        self.reservations = ReservationsLoaders(services.db, batching=batching)
