"""Redis access: one client per process, every key under the configured namespace."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis


def connect_redis(url: str) -> Redis:
    return Redis.from_url(url, decode_responses=True, health_check_interval=30)


@dataclass(frozen=True)
class Keyspace:
    """Prefixes keys and channels so tests and tenants never see each other's data."""

    namespace: str

    def key(self, *parts: str) -> str:
        return self.namespace + ":".join(parts)
