"""Configuration from environment variables (TESSERA_*, DATABASE_URL, REDIS_URL), read and
validated by pydantic-settings: a malformed or out-of-range value stops the start with one
line naming the variable, and an unknown TESSERA_ variable is refused rather than ignored
(a typo must not silently fall back to a default).

`Settings(...)` built in code reads no environment (tests and benchmarks build their own);
`load_settings()` reads the process environment (or the mapping given) on top of the
defaults and applies the production checks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from core.key_text import KeyEncryptionError, parse_key

# ORD-5: what each country's customers may pay with (TESSERA_PAYMENT_METHODS overrides, as JSON).
DEFAULT_PAYMENT_METHODS: dict[str, tuple[str, ...]] = {
    "KR": ("card", "bank_transfer", "kakao_pay", "naver_pay", "carrier_billing"),
    "JP": ("card", "konbini", "paypay"),
    "US": ("card", "paypal", "apple_pay"),
    "DE": ("card", "sepa_debit", "paypal"),
    "SG": ("card", "paynow"),
}
ENVIRONMENTS = ("development", "test", "production")
DEMO_ADMIN_EMAIL = "admin@tessera.local"
DEMO_ADMIN_PASSWORD = "Tessera!Ops-2026"
DEMO_USER_PASSWORD = "Tessera-Demo-2026!"
PREFIX = "TESSERA_"
# Variables with our prefix that are not settings fields (read elsewhere, on purpose).
_NOT_SETTINGS = frozenset({"TESSERA_FUZZ_EXAMPLES"})  # the fuzz suite's size (tests/fuzz)

_environment: ContextVar[Mapping[str, str] | None] = ContextVar("environment", default=None)


class ConfigurationError(RuntimeError):
    """The environment asks for something unsafe or impossible."""


Seconds = Field(gt=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        env_ignore_empty=True,
    )

    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias="TESSERA_ENV"
    )
    database_url: str | None = Field(None, validation_alias="DATABASE_URL")  # None: embedded
    redis_url: str | None = Field(None, validation_alias="REDIS_URL")  # None: embedded
    redis_namespace: str = "tessera:"  # every Redis key and channel starts with this
    data_dir: Path = Path(".data")
    issuer: str = "http://127.0.0.1:8000"
    # Seals the JWT signing keys in PostgreSQL (auth/key_encryption.py); never in repr or logs.
    key_encryption_key: str | None = Field(None, repr=False)
    key_encryption_key_file: Path | None = None
    # Sessions and tokens (ID-2, ID-3)
    session_idle_seconds: int = Field(30 * 60, gt=0)
    access_token_seconds: int = Field(5 * 60, gt=0)
    ended_session_memory_seconds: int = Field(14 * 24 * 3600, gt=0)  # "why did it end"
    # Passwords (ID-1)
    password_min_length: int = Field(10, ge=8)
    password_max_length: int = Field(128, ge=8, le=1024)
    password_history: int = Field(5, ge=0)
    password_min_strength: int = Field(3, ge=0, le=4)  # zxcvbn score 0..4
    # Brute force (ID-11)
    login_max_failures: int = Field(5, gt=0)
    login_failure_window_seconds: int = Field(15 * 60, gt=0)
    login_lockout_seconds: int = Field(15 * 60, gt=0)
    login_address_max_failures: int = Field(20, gt=0)
    login_account_max_failures: int = Field(20, gt=0)  # all addresses; then known ones only
    login_known_address_days: int = Field(90, gt=0)  # an address that logged in this recently
    # HTTP protection (API-4)
    max_body_bytes: int = Field(256 * 1024, gt=0)
    max_query_depth: int = Field(12, gt=0)
    max_aliases: int = Field(30, ge=0)
    max_tokens: int = Field(5000, gt=0)
    max_query_cost: int = Field(50_000, gt=0)  # fields × page sizes above them (schema/cost.py)
    max_overlap_pairs: int = Field(2_000, gt=0)  # same-named field pairs graphql-core compares
    request_time_budget_seconds: float = Field(10.0, ge=0)  # a query's execution; 0: none
    introspection: bool | None = None  # None: on except in production
    # Demo data
    admin_email: str = DEMO_ADMIN_EMAIL
    admin_password: str = Field(DEMO_ADMIN_PASSWORD, repr=False)
    demo_password: str = Field(DEMO_USER_PASSWORD, repr=False)  # the demo customers' and staff's
    # Observability
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # auto: console lines in development on a terminal, JSON otherwise (server/observability.py)
    log_format: Literal["auto", "console", "json"] = "auto"
    otel_exporter: Literal["none", "console"] = "none"
    # Pools
    db_pool_size: int = Field(10, gt=0)
    db_max_overflow: int = Field(30, ge=0)
    db_pool_timeout_seconds: float = Field(30.0, gt=0)  # then UNAVAILABLE (retryable)
    run_workers_in_process: bool = Field(True, validation_alias="TESSERA_IN_PROCESS_WORKERS")
    # Off only for the benchmark's naive baseline: every load becomes its own query.
    dataloader_batching: bool = True
    # Whole responses of anonymous catalog reads (schema/response_cache.py).
    response_cache: bool = True
    # Payments (ORD-2..ORD-5): None starts the local stand-in next to `tessera serve`.
    payment_provider_url: str | None = None
    payment_timeout_seconds: float = Field(5.0, gt=0)
    payment_methods: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_PAYMENT_METHODS)
    )
    saga_lease_seconds: float = Field(30.0, gt=0)
    # ORD-10: retryable saga steps after the pivot give up (and compensate) past either bound.
    saga_retry_max_attempts: int = Field(20, gt=0)
    saga_retry_max_hours: float = Field(24.0, gt=0)
    reservation_lease_seconds: float = Field(10.0, gt=0)  # a dead worker's partitions move
    reservation_max_deliveries: int = Field(5, gt=0)  # failed decisions before dead letter
    reservation_position_interval_seconds: float = Field(1.0, gt=0)  # position pushes, at most

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        environ = _environment.get()
        if environ is None:
            return (init_settings,)  # built in code: defaults and arguments only
        return (init_settings, _MappingSource(settings_cls, environ))

    @field_validator("payment_methods", mode="before")
    @classmethod
    def _payment_methods(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ValueError("must be a JSON object of country → [methods]") from exc
        if isinstance(value, Mapping):
            return {str(country).upper(): methods for country, methods in value.items()}
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("key_encryption_key")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        if value:
            try:
                parse_key(value)
            except KeyEncryptionError as exc:
                raise ValueError(str(exc)) from exc
        return value

    @model_validator(mode="after")
    def _defaults_that_depend_on_the_environment(self) -> Settings:
        if self.introspection is None:
            object.__setattr__(self, "introspection", not self.is_production)
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def embedded(self) -> bool:
        return self.database_url is None or self.redis_url is None

    def but(self, **changes: Any) -> Settings:
        """A validated copy with `changes` (unknown names are errors, as in the environment)."""
        return type(self)(**{**self.model_dump(), **changes})

    def with_stores(self, database_url: str, redis_url: str) -> Settings:
        return self.but(database_url=database_url, redis_url=redis_url)

    def refuse_unsafe_production(self) -> None:
        """Production refuses demo defaults and developer conveniences."""
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
        if self.admin_password == DEMO_ADMIN_PASSWORD:
            problems.append("TESSERA_ADMIN_PASSWORD must not be the demo default")
        if self.introspection:
            problems.append("TESSERA_INTROSPECTION must be off")
        if problems:
            raise ConfigurationError("; ".join(problems))


class _MappingSource(EnvSettingsSource):
    """The environment given to `load_settings`, read as pydantic-settings reads os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env_vars = {name.lower(): value for name, value in environ.items() if value != ""}


def _variable(field_name: str, field: FieldInfo) -> str:
    alias = field.validation_alias
    return alias if isinstance(alias, str) else PREFIX + field_name.upper()


def _unknown_variables(environ: Mapping[str, str]) -> list[str]:
    known = {_variable(name, field) for name, field in Settings.model_fields.items()}
    return sorted(
        name
        for name in environ
        if name.upper().startswith(PREFIX) and name.upper() not in known | _NOT_SETTINGS
    )


def _field_named(location: str) -> tuple[str, FieldInfo | None]:
    """The variable and field behind an error location (a field name or its variable)."""
    for name, field in Settings.model_fields.items():
        if location in (name, field.validation_alias):
            return _variable(name, field), field
    return location, None


def _explain(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        name, field = _field_named(str(problem["loc"][0]) if problem["loc"] else "")
        if problem["type"] == "literal_error" and field is not None:
            message = "must be one of " + ", ".join(map(str, get_args(field.annotation)))
        else:
            message = problem["msg"].removeprefix("Value error, ")
        # Secrets (fields hidden from repr) are never echoed, not even malformed ones.
        shown = "" if field is None or not field.repr else f", got {problem.get('input')!r}"
        lines.append(f"{name} {message}{shown}"[:300])
    return "; ".join(lines)


def _unparsable(message: str) -> str:
    for name, field in Settings.model_fields.items():
        if f'"{name}"' in message:
            return f"{_variable(name, field)} must be valid JSON"
    return message


@contextmanager
def _reading(environ: Mapping[str, str]) -> Iterator[None]:
    token = _environment.set(environ)
    try:
        yield
    finally:
        _environment.reset(token)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    environ = dict(os.environ if env is None else env)
    if environ.get("TESSERA_ENV") == "":  # set but empty is a mistake, not "development"
        raise ConfigurationError(f"TESSERA_ENV must be one of {', '.join(ENVIRONMENTS)}, got ''")
    unknown = _unknown_variables(environ)
    if unknown:
        raise ConfigurationError(f"unknown setting(s): {', '.join(unknown)} (see README.md)")
    try:
        with _reading(environ):
            settings = Settings()
    except ValidationError as exc:
        raise ConfigurationError(_explain(exc)) from None
    except SettingsError as exc:  # a JSON value that does not parse
        raise ConfigurationError(_unparsable(str(exc))) from None
    settings.refuse_unsafe_production()
    return settings
