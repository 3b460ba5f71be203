"""Process runtime: stores (embedded or external), services, and their lifecycle."""

from __future__ import annotations

import logging
import resource
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from auth.key_encryption import load_key_encryption_key
from auth.passwords import PasswordPolicy
from auth.rate_limit import LoginGuard, LoginLimits
from auth.sessions import SessionStore
from auth.tokens import TokenService
from core.keyspace import Keyspace
from core.settings import Settings
from persistence.cache import Cache
from persistence.catalog_cache import CatalogCache
from persistence.database import Database
from persistence.embedded import EmbeddedStores, start_embedded
from persistence.providers.payments import PaymentProvider
from persistence.redis import connect_redis
from persistence.streams.reservations import TicketStore
from resolvers.orders import sagas
from resolvers.services import Services
from stand_ins.process import StandIn, start_payment_provider
from subscriptions.broker import Broker
from workflows.faults import FaultPoints
from workflows.saga import RetryBound, SagaEngine

_log = logging.getLogger(__name__)


@dataclass
class LocalDependencies:
    """Servers this process started because no URL named external ones."""

    stores: EmbeddedStores | None = None
    payment_provider: StandIn | None = None

    def close(self) -> None:
        if self.payment_provider is not None:
            self.payment_provider.stop()
        if self.stores is not None:
            self.stores.close()


def raise_open_files_limit() -> int:
    """Lift this process's soft limit on open files to its hard limit, as Go's runtime does.

    Every client connection is a file descriptor; the usual soft default (1024) is below what
    one API process holds during a burst, and children (servers, embedded stores) inherit it.
    Returns the soft limit in force afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError) as exc:
            _log.warning("open files limit stays %d: %s", soft, exc)
            return soft
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def resolve_dependencies(settings: Settings) -> tuple[Settings, LocalDependencies]:
    """Settings with every URL filled in: embedded stores and the payment stand-in for
    whatever is not configured (development and `make run`)."""
    local = LocalDependencies()
    if settings.embedded:
        local.stores = start_embedded(settings.data_dir)
        settings = settings.with_stores(
            settings.database_url or local.stores.database_url,
            settings.redis_url or local.stores.redis_url,
        )
    if settings.payment_provider_url is None:
        local.payment_provider = start_payment_provider(
            settings.data_dir.resolve() / "payment-provider.jsonl"
        )
        settings = settings.but(payment_provider_url=local.payment_provider.url)
    return settings, local


def build_services(settings: Settings) -> Services:
    assert settings.database_url and settings.redis_url, "resolve_dependencies() first"
    db = Database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    redis = connect_redis(settings.redis_url)
    keys = Keyspace(settings.redis_namespace)
    broker = Broker(redis, keys)
    cache = Cache(redis, keys, broker)
    assert settings.payment_provider_url, "resolve_dependencies() first"
    services = Services(
        settings=settings,
        db=db,
        redis=redis,
        keys=keys,
        tokens=TokenService(
            db,
            issuer=settings.issuer,
            access_seconds=settings.access_token_seconds,
            kek=load_key_encryption_key(
                settings.key_encryption_key,
                settings.key_encryption_key_file,
                data_dir=settings.data_dir,
                generate=not settings.is_production,
            ),
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
                account_max_failures=settings.login_account_max_failures,
                known_address_days=settings.login_known_address_days,
            ),
        ),
        password_policy=PasswordPolicy(
            min_length=settings.password_min_length,
            max_length=settings.password_max_length,
            history=settings.password_history,
            min_strength=settings.password_min_strength,
        ),
        broker=broker,
        cache=cache,
        catalog_cache=CatalogCache(cache, db),
        payments=PaymentProvider(
            settings.payment_provider_url, timeout_seconds=settings.payment_timeout_seconds
        ),
        faults=FaultPoints(redis, keys, enabled=settings.environment == "test"),
        sagas=None,  # type: ignore[arg-type]  # set below: the engine needs the services
        tickets=TicketStore(redis, keys),
    )
    services.sagas = SagaEngine(
        db,
        services,
        services.faults,
        lease_seconds=settings.saga_lease_seconds,
        retry_bound=RetryBound(
            max_attempts=settings.saga_retry_max_attempts,
            max_age=timedelta(hours=settings.saga_retry_max_hours),
        ),
    )
    for definition in (sagas.PAYMENT, sagas.REFUND):
        services.sagas.register(definition)
    return services


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
        await services.payments.aclose()
        await services.redis.aclose()
        await services.db.dispose()
