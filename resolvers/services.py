"""The ports every use case may need, assembled once per process by `server/`."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from auth.passwords import PasswordPolicy
from auth.rate_limit import LoginGuard
from auth.sessions import SessionStore
from auth.tokens import TokenService
from core.keyspace import Keyspace
from core.settings import Settings
from persistence.cache import Cache
from persistence.catalog_cache import CatalogCache
from persistence.database import Database
from persistence.providers.payments import PaymentProvider
from persistence.streams.reservations import TicketStore
from subscriptions.broker import Broker
from workflows.faults import FaultPoints
from workflows.saga import SagaEngine


@dataclass
class Services:
    settings: Settings
    db: Database
    redis: Redis
    keys: Keyspace
    tokens: TokenService
    sessions: SessionStore
    login_guard: LoginGuard
    password_policy: PasswordPolicy
    broker: Broker
    cache: Cache
    catalog_cache: CatalogCache
    payments: PaymentProvider
    faults: FaultPoints
    sagas: SagaEngine
    tickets: TicketStore


@dataclass(frozen=True)
class RequestMeta:
    """Where a call came from, for audit rows and rate limits."""

    address: str
    request_id: str | None = None
    lang: str = "en"
