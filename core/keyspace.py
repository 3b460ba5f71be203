"""Redis key and channel names, under one namespace per deployment (or per test)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keyspace:
    """Prefixes keys and channels so tests and tenants never see each other's data."""

    namespace: str

    def key(self, *parts: str) -> str:
        return self.namespace + ":".join(parts)
