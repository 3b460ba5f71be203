"""Operator commands: `tessera create-user` (password on stdin), `migrate` and `seed-demo` are idempotent."""

from __future__ import annotations

from core.settings import Settings
from tests.accounts import ME, login
from tests.conftest import Api
from tests.e2e.processes import run_cli


async def test_create_user_reads_the_password_from_stdin(
    api: Api, settings: Settings, unique_email
) -> None:
    email = unique_email("ops")
    created = run_cli(
        settings, "create-user", email, "--role", "support", stdin="Operator-Pass-55!\n"
    )
    assert created.returncode == 0, created.stderr
    assert "Operator-Pass-55!" not in created.stdout + created.stderr
    session = await login(api.client, email, "Operator-Pass-55!")
    me = (await api.client.data(ME, token=session.access_token))["me"]
    assert me["roles"] == [{"name": "support"}]

    weak = run_cli(settings, "create-user", unique_email(), "--role", "support", stdin="weak\n")
    assert weak.returncode == 1 and "VALIDATION" in weak.stderr
    unknown = run_cli(
        settings, "create-user", unique_email(), "--role", "wizard", stdin="Operator-Pass-55!\n"
    )
    assert unknown.returncode == 1 and "NOT_FOUND" in unknown.stderr


async def test_migrate_and_seed_demo_are_idempotent(api: Api, settings: Settings) -> None:
    for _ in range(2):
        assert run_cli(settings, "migrate").returncode == 0
    first = run_cli(settings, "seed-demo")
    second = run_cli(settings, "seed-demo")
    assert "created 6 account(s)" in first.stdout, first.stderr
    assert "created 0 account(s)" in second.stdout
    admin = await login(api.client, settings.admin_email, settings.admin_password)
    me = (await api.client.data(ME, token=admin.access_token))["me"]
    assert "identity.roles.manage" in me["permissions"]
