"""Redis access: one client per process, every key under the configured namespace."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

MAX_CONNECTIONS = 256
POOL_WAIT_SECONDS = 60


def connect_redis(url: str) -> Redis:
    # A burst beyond the pool waits for a free connection instead of failing the request.
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_WAIT_SECONDS,
        decode_responses=True,
        health_check_interval=30,
        # redis-py's 5 s defaults fail the requests of a saturated process spuriously;
        # a local Redis that does not answer in 30 s is down, not slow.
        socket_timeout=30,
        socket_connect_timeout=30,
    )
    return Redis.from_pool(pool)  # the client owns the pool: closing it closes the connections
