"""Per-request DataLoaders (API-2): build a fresh `Loaders` for every operation."""

from __future__ import annotations

from dataloaders.identity import IdentityLoaders
from persistence.database import Database


class Loaders:
    def __init__(self, db: Database) -> None:
        self.identity = IdentityLoaders(db)
