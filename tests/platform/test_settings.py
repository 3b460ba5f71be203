"""Configuration is checked at start-up: unknown environments and unsafe production settings
are errors, never silently development (OPS-3)."""

from __future__ import annotations

import base64

import pytest

from core.key_text import new_key_text
from core.settings import ConfigurationError, Settings, load_settings

PRODUCTION = {
    "TESSERA_ENV": "production",
    "DATABASE_URL": "postgresql://tessera@db.internal:5432/tessera",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "TESSERA_PAYMENT_PROVIDER_URL": "http://payments.internal",
    "TESSERA_ADMIN_PASSWORD": "Operations-Only-91#",
    "TESSERA_KEY_ENCRYPTION_KEY": new_key_text(),
}


@pytest.mark.parametrize("environment", ["prod", "Production", "staging", "dev", ""])
def test_unknown_environments_are_start_up_errors(environment: str) -> None:
    with pytest.raises(ConfigurationError, match="TESSERA_ENV must be one of"):
        load_settings({"TESSERA_ENV": environment})


@pytest.mark.parametrize("environment", ["development", "test"])
def test_known_environments_need_no_key_encryption_key(environment: str) -> None:
    assert load_settings({"TESSERA_ENV": environment}).environment == environment


def test_production_starts_with_a_key_encryption_key_from_env_or_file(tmp_path) -> None:
    assert load_settings(PRODUCTION).is_production
    key_file = tmp_path / "kek"
    key_file.write_text(new_key_text())
    from_file = {k: v for k, v in PRODUCTION.items() if k != "TESSERA_KEY_ENCRYPTION_KEY"}
    from_file["TESSERA_KEY_ENCRYPTION_KEY_FILE"] = str(key_file)
    assert load_settings(from_file).key_encryption_key_file == key_file


def test_production_refuses_to_start_without_a_key_encryption_key() -> None:
    without = {k: v for k, v in PRODUCTION.items() if k != "TESSERA_KEY_ENCRYPTION_KEY"}
    with pytest.raises(ConfigurationError, match="TESSERA_KEY_ENCRYPTION_KEY"):
        load_settings(without)


@pytest.mark.parametrize(
    "key",
    ["too-short", base64.b64encode(bytes(range(16))).decode(), "not base64 at all!!"],
    ids=["too-short", "16-bytes", "not-base64"],
)
def test_a_malformed_key_encryption_key_is_refused(key: str) -> None:
    with pytest.raises(ConfigurationError, match="TESSERA_KEY_ENCRYPTION_KEY"):
        load_settings({"TESSERA_ENV": "development", "TESSERA_KEY_ENCRYPTION_KEY": key})


def test_the_key_encryption_key_never_appears_in_the_settings_repr() -> None:
    settings = load_settings(PRODUCTION)
    assert PRODUCTION["TESSERA_KEY_ENCRYPTION_KEY"] not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("TESSERA_REQUEST_TIME_BUDGET_SECONDS", "ten", "valid number"),
        ("TESSERA_DB_POOL_SIZE", "0", "greater than 0"),
        ("TESSERA_SAGA_LEASE_SECONDS", "-1", "greater than 0"),
        ("TESSERA_INTROSPECTION", "maybe", "valid boolean"),
        ("TESSERA_OTEL_EXPORTER", "jaeger", "must be one of none, console"),
        ("TESSERA_PAYMENT_METHODS", "{kr: card}", "must be valid JSON"),
        ("TESSERA_PASSWORD_MIN_STRENGTH", "5", "less than or equal to 4"),
    ],
)
def test_a_malformed_value_names_its_variable(variable: str, value: str, says: str) -> None:
    """Once a bare ValueError from float(): now one line naming the variable and the rule."""
    with pytest.raises(ConfigurationError) as refused:
        load_settings({variable: value})
    assert str(refused.value).startswith(variable)
    assert says in str(refused.value)


def test_an_unknown_tessera_variable_is_refused_not_ignored() -> None:
    with pytest.raises(ConfigurationError, match="unknown setting.*TESSERA_SESION_IDLE_SECONDS"):
        load_settings({"TESSERA_SESION_IDLE_SECONDS": "60"})  # a typo would silently default


def test_a_malformed_secret_is_refused_without_being_echoed() -> None:
    secret = "Zq7-this-is-almost-a-key"
    with pytest.raises(ConfigurationError) as refused:
        load_settings({"TESSERA_KEY_ENCRYPTION_KEY": secret})
    assert secret not in str(refused.value)
    assert "TESSERA_KEY_ENCRYPTION_KEY" in str(refused.value)


def test_values_are_parsed_and_settings_built_in_code_read_no_environment(monkeypatch) -> None:
    environment = {
        "TESSERA_DB_POOL_SIZE": "7",
        "TESSERA_IN_PROCESS_WORKERS": "off",
        "TESSERA_PAYMENT_METHODS": '{"kr": ["card"]}',
        "TESSERA_LOG_LEVEL": "debug",
        "DATABASE_URL": "",  # empty: the embedded store, as when unset
    }
    loaded = load_settings(environment)
    assert (loaded.db_pool_size, loaded.run_workers_in_process) == (7, False)
    assert loaded.payment_methods == {"KR": ("card",)}
    assert (loaded.log_level, loaded.database_url, loaded.embedded) == ("DEBUG", None, True)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert Settings().db_pool_size == 10
    assert load_settings().db_pool_size == 7
