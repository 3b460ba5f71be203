"""Process runtime: stores (embedded or external), services, and their lifecycle."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from auth.passwords import PasswordPolicy
from auth.rate_limit import LoginGuard, LoginLimits
from auth.sessions import SessionStore
from auth.tokens import TokenService
from persistence.cache import Cache
from persistence.database import Database
from persistence.embedded import EmbeddedStores, start_embedded
from persistence.redis import Keyspace, connect_redis
from resolvers.catalog.cache import CatalogCache
from resolvers.services import Services
from server.settings import Settings
from subscriptions.broker import Broker

_log = logging.getLogger(__name__)


def resolve_stores(settings: Settings) -> tuple[Settings, EmbeddedStores | None]:
    """Settings with both store URLs filled in, starting embedded servers for missing ones."""
    if not settings.embedded:
        return settings, None
    stores = start_embedded(settings.data_dir)
    return settings.with_stores(
        settings.database_url or stores.database_url, settings.redis_url or stores.redis_url
    ), stores


def build_services(settings: Settings) -> Services:
    assert settings.database_url and settings.redis_url, "resolve_stores() first"
    db = Database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    redis = connect_redis(settings.redis_url)
    keys = Keyspace(settings.redis_namespace)
    broker = Broker(redis, keys)
    cache = Cache(redis, keys, broker)
    return Services(
        settings=settings,
        db=db,
        redis=redis,
        keys=keys,
        tokens=TokenService(
            db, issuer=settings.issuer, access_seconds=settings.access_token_seconds
        ),
        sessions=SessionStore(
            redis,
            keys,
            idle_seconds=settings.session_idle_seconds,
            ended_memory_seconds=settings.ended_session_memory_seconds,
        ),
        login_guard=LoginGuard(
            redis,
            keys,
            LoginLimits(
                max_failures=settings.login_max_failures,
                window_seconds=settings.login_failure_window_seconds,
                lockout_seconds=settings.login_lockout_seconds,
                address_max_failures=settings.login_address_max_failures,
            ),
        ),
        password_policy=PasswordPolicy(
            min_length=settings.password_min_length,
            max_length=settings.password_max_length,
            history=settings.password_history,
        ),
        broker=broker,
        cache=cache,
        catalog_cache=CatalogCache(cache, db, redis, keys),
    )


@asynccontextmanager
async def running_services(settings: Settings) -> AsyncIterator[Services]:
    services = build_services(settings)
    await services.tokens.start()
    await services.broker.start()
    await services.cache.start()
    try:
        yield services
    finally:
        await services.cache.stop()
        await services.broker.stop()
        await services.redis.aclose()
        await services.db.dispose()
