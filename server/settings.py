"""Configuration from environment variables (TESSERA_*, DATABASE_URL, REDIS_URL)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from auth.key_encryption import KeyEncryptionError, parse_key

# ORD-5: what each country's customers may pay with (TESSERA_PAYMENT_METHODS overrides, as JSON).
DEFAULT_PAYMENT_METHODS: dict[str, tuple[str, ...]] = {
    "KR": ("card", "bank_transfer", "kakao_pay", "naver_pay", "carrier_billing"),
    "JP": ("card", "konbini", "paypay"),
    "US": ("card", "paypal", "apple_pay"),
    "DE": ("card", "sepa_debit", "paypal"),
    "SG": ("card", "paynow"),
}


class ConfigurationError(RuntimeError):
    """The environment asks for something unsafe or impossible."""


ENVIRONMENTS = ("development", "test", "production")
LOG_FORMATS = ("auto", "console", "json")


def _payment_methods(raw: str | None) -> dict[str, tuple[str, ...]]:
    if not raw:
        return dict(DEFAULT_PAYMENT_METHODS)
    try:
        parsed = json.loads(raw)
        return {country.upper(): tuple(methods) for country, methods in parsed.items()}
    except (ValueError, AttributeError, TypeError) as exc:
        raise ConfigurationError(
            "TESSERA_PAYMENT_METHODS must be a JSON object of country → [methods]"
        ) from exc


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc


def _path(raw: str | None) -> Path | None:
    return Path(raw) if raw else None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    environment: str = "development"  # development | test | production
    database_url: str | None = None  # None: start an embedded PostgreSQL
    redis_url: str | None = None  # None: start an embedded Redis
    redis_namespace: str = "tessera:"  # every Redis key and channel starts with this
    data_dir: Path = Path(".data")
    issuer: str = "http://127.0.0.1:8000"
    # Seals the JWT signing keys in PostgreSQL (auth/key_encryption.py); never in repr or logs.
    key_encryption_key: str | None = field(default=None, repr=False)
    key_encryption_key_file: Path | None = None
    # Sessions and tokens (ID-2, ID-3)
    session_idle_seconds: int = 30 * 60
    access_token_seconds: int = 5 * 60
    ended_session_memory_seconds: int = 14 * 24 * 3600  # how long "why did it end" is kept
    # Passwords (ID-1)
    password_min_length: int = 10
    password_max_length: int = 128
    password_history: int = 5
    password_min_strength: int = 3  # zxcvbn score 0..4
    # Brute force (ID-11)
    login_max_failures: int = 5
    login_failure_window_seconds: int = 15 * 60
    login_lockout_seconds: int = 15 * 60
    login_address_max_failures: int = 20
    login_account_max_failures: int = 20  # all addresses; then only known addresses may try
    login_known_address_days: int = 90  # an address that logged in this recently is the owner's
    # HTTP protection (API-4)
    max_body_bytes: int = 256 * 1024
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_query_cost: int = 50_000  # fields, each times the page sizes above it (schema/cost.py)
    max_overlap_pairs: int = 2_000  # same-named field pairs graphql-core would compare
    request_time_budget_seconds: float = 10.0  # a query's execution; 0: none
    introspection: bool = True
    # Demo data
    admin_email: str = "admin@tessera.local"
    admin_password: str = "Tessera!Ops-2026"
    # Observability
    log_level: str = "INFO"
    log_format: str = "auto"  # auto (console lines in development on a terminal) | console | json
    otel_exporter: str = "none"  # none | console
    # Pools
    db_pool_size: int = 10
    db_max_overflow: int = 30
    db_pool_timeout_seconds: float = 30.0  # then the request answers UNAVAILABLE (retryable)
    run_workers_in_process: bool = True
    # Off only for the benchmark's naive baseline: every load becomes its own query.
    dataloader_batching: bool = True
    # Whole responses of anonymous catalog reads (schema/response_cache.py).
    response_cache: bool = True
    # Payments (ORD-2..ORD-5): None starts the local stand-in next to `tessera serve`.
    payment_provider_url: str | None = None
    payment_timeout_seconds: float = 5.0
    payment_methods: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_PAYMENT_METHODS)
    )
    saga_lease_seconds: float = 30.0
    # ORD-10: retryable saga steps after the pivot give up (and compensate) past either bound.
    saga_retry_max_attempts: int = 20
    saga_retry_max_hours: float = 24.0
    reservation_lease_seconds: float = 10.0  # a dead worker's queue partitions move after this
    reservation_max_deliveries: int = 5  # failed decisions of one queue entry before dead letter
    reservation_position_interval_seconds: float = 1.0  # waiting-room position pushes, at most

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def embedded(self) -> bool:
        return self.database_url is None or self.redis_url is None

    def with_stores(self, database_url: str, redis_url: str) -> Settings:
        return replace(self, database_url=database_url, redis_url=redis_url)

    def validate(self) -> None:
        """Production refuses demo defaults and developer conveniences."""
        if self.environment not in ENVIRONMENTS:
            raise ConfigurationError(
                f"TESSERA_ENV must be one of {', '.join(ENVIRONMENTS)}, got {self.environment!r}"
            )
        if self.log_format not in LOG_FORMATS:
            raise ConfigurationError(
                f"TESSERA_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {self.log_format!r}"
            )
        if self.key_encryption_key:
            try:
                parse_key(self.key_encryption_key)
            except KeyEncryptionError as exc:
                raise ConfigurationError(f"TESSERA_KEY_ENCRYPTION_KEY: {exc}") from exc
        if not self.is_production:
            return
        problems = []
        if not (self.key_encryption_key or self.key_encryption_key_file):
            problems.append(
                "TESSERA_KEY_ENCRYPTION_KEY or TESSERA_KEY_ENCRYPTION_KEY_FILE must be set"
            )
        if self.embedded:
            problems.append("DATABASE_URL and REDIS_URL must be set")
        if self.payment_provider_url is None:
            problems.append("TESSERA_PAYMENT_PROVIDER_URL must be set")
        if self.admin_password == Settings.admin_password:
            problems.append("TESSERA_ADMIN_PASSWORD must not be the demo default")
        if self.introspection:
            problems.append("TESSERA_INTROSPECTION must be off")
        if problems:
            raise ConfigurationError("; ".join(problems))


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    environment = env.get("TESSERA_ENV", "development")
    production = environment == "production"
    defaults = Settings()
    settings = Settings(
        environment=environment,
        database_url=env.get("DATABASE_URL") or None,
        redis_url=env.get("REDIS_URL") or None,
        redis_namespace=env.get("TESSERA_REDIS_NAMESPACE", defaults.redis_namespace),
        data_dir=Path(env.get("TESSERA_DATA_DIR", str(defaults.data_dir))),
        issuer=env.get("TESSERA_ISSUER", defaults.issuer),
        key_encryption_key=env.get("TESSERA_KEY_ENCRYPTION_KEY") or None,
        key_encryption_key_file=_path(env.get("TESSERA_KEY_ENCRYPTION_KEY_FILE")),
        session_idle_seconds=_int(
            env, "TESSERA_SESSION_IDLE_SECONDS", defaults.session_idle_seconds
        ),
        access_token_seconds=_int(
            env, "TESSERA_ACCESS_TOKEN_SECONDS", defaults.access_token_seconds
        ),
        password_min_length=_int(env, "TESSERA_PASSWORD_MIN_LENGTH", defaults.password_min_length),
        password_history=_int(env, "TESSERA_PASSWORD_HISTORY", defaults.password_history),
        password_min_strength=_int(
            env, "TESSERA_PASSWORD_MIN_STRENGTH", defaults.password_min_strength
        ),
        login_max_failures=_int(env, "TESSERA_LOGIN_MAX_FAILURES", defaults.login_max_failures),
        login_failure_window_seconds=_int(
            env, "TESSERA_LOGIN_FAILURE_WINDOW_SECONDS", defaults.login_failure_window_seconds
        ),
        login_lockout_seconds=_int(
            env, "TESSERA_LOGIN_LOCKOUT_SECONDS", defaults.login_lockout_seconds
        ),
        login_address_max_failures=_int(
            env, "TESSERA_LOGIN_ADDRESS_MAX_FAILURES", defaults.login_address_max_failures
        ),
        login_account_max_failures=_int(
            env, "TESSERA_LOGIN_ACCOUNT_MAX_FAILURES", defaults.login_account_max_failures
        ),
        login_known_address_days=_int(
            env, "TESSERA_LOGIN_KNOWN_ADDRESS_DAYS", defaults.login_known_address_days
        ),
        max_body_bytes=_int(env, "TESSERA_MAX_BODY_BYTES", defaults.max_body_bytes),
        max_query_depth=_int(env, "TESSERA_MAX_QUERY_DEPTH", defaults.max_query_depth),
        max_aliases=_int(env, "TESSERA_MAX_ALIASES", defaults.max_aliases),
        max_tokens=_int(env, "TESSERA_MAX_TOKENS", defaults.max_tokens),
        max_query_cost=_int(env, "TESSERA_MAX_QUERY_COST", defaults.max_query_cost),
        max_overlap_pairs=_int(env, "TESSERA_MAX_OVERLAP_PAIRS", defaults.max_overlap_pairs),
        request_time_budget_seconds=float(
            env.get("TESSERA_REQUEST_TIME_BUDGET_SECONDS", defaults.request_time_budget_seconds)
        ),
        introspection=_bool(env, "TESSERA_INTROSPECTION", not production),
        admin_email=env.get("TESSERA_ADMIN_EMAIL", defaults.admin_email),
        admin_password=env.get("TESSERA_ADMIN_PASSWORD", defaults.admin_password),
        log_level=env.get("TESSERA_LOG_LEVEL", defaults.log_level),
        log_format=env.get("TESSERA_LOG_FORMAT", defaults.log_format),
        otel_exporter=env.get("TESSERA_OTEL_EXPORTER", defaults.otel_exporter),
        db_pool_size=_int(env, "TESSERA_DB_POOL_SIZE", defaults.db_pool_size),
        db_max_overflow=_int(env, "TESSERA_DB_MAX_OVERFLOW", defaults.db_max_overflow),
        db_pool_timeout_seconds=float(
            env.get("TESSERA_DB_POOL_TIMEOUT_SECONDS", defaults.db_pool_timeout_seconds)
        ),
        run_workers_in_process=_bool(env, "TESSERA_IN_PROCESS_WORKERS", True),
        dataloader_batching=_bool(env, "TESSERA_DATALOADER_BATCHING", True),
        response_cache=_bool(env, "TESSERA_RESPONSE_CACHE", True),
        payment_provider_url=env.get("TESSERA_PAYMENT_PROVIDER_URL") or None,
        payment_timeout_seconds=float(env.get("TESSERA_PAYMENT_TIMEOUT_SECONDS", "5")),
        payment_methods=_payment_methods(env.get("TESSERA_PAYMENT_METHODS")),
        saga_lease_seconds=float(env.get("TESSERA_SAGA_LEASE_SECONDS", "30")),
        saga_retry_max_attempts=_int(
            env, "TESSERA_SAGA_RETRY_MAX_ATTEMPTS", defaults.saga_retry_max_attempts
        ),
        saga_retry_max_hours=float(
            env.get("TESSERA_SAGA_RETRY_MAX_HOURS", defaults.saga_retry_max_hours)
        ),
        reservation_lease_seconds=float(env.get("TESSERA_RESERVATION_LEASE_SECONDS", "10")),
        reservation_position_interval_seconds=float(
            env.get("TESSERA_RESERVATION_POSITION_INTERVAL_SECONDS", "1")
        ),
        reservation_max_deliveries=max(1, int(env.get("TESSERA_RESERVATION_MAX_DELIVERIES", "5"))),
    )
    settings.validate()
    return settings
