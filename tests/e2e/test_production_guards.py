"""Production refuses demo data and demo passwords; a mistyped TESSERA_ENV stops start-up.
Real `tessera` processes, as an operator would run them (OPS-3)."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import func, select, update

from auth.passwords import hash_password
from core.key_text import new_key_text
from core.settings import Settings
from persistence.database import Database
from persistence.models.identity import User
from server.demo import DEMO_USERS
from stand_ins.process import free_port
from tests.e2e.processes import api_process, run_cli


def _production(kek: str) -> dict[str, str]:
    return {
        "TESSERA_ENV": "production",
        "TESSERA_KEY_ENCRYPTION_KEY": kek,
        "TESSERA_ADMIN_PASSWORD": "Operations-Only-91#",
    }


async def _user_count(settings: Settings) -> int:
    db = Database(settings.database_url or "", pool_size=1, max_overflow=0)
    try:
        async with db.read() as connection:
            return await connection.scalar(select(func.count()).select_from(User)) or 0
    finally:
        await db.dispose()


async def test_a_mistyped_environment_is_a_start_up_error(settings: Settings) -> None:
    for command in (["serve", "--port", str(free_port())], ["worker"], ["migrate"]):
        refused = run_cli(settings, *command, TESSERA_ENV="prod")
        assert refused.returncode == 2, refused.stderr
        assert "TESSERA_ENV must be one of development, test, production" in refused.stderr


async def test_production_refuses_to_start_without_a_key_encryption_key(
    settings: Settings,
) -> None:
    production = {k: v for k, v in _production("").items() if v}
    refused = run_cli(settings, "serve", "--port", str(free_port()), **production)
    assert refused.returncode == 2
    assert "TESSERA_KEY_ENCRYPTION_KEY or TESSERA_KEY_ENCRYPTION_KEY_FILE must be set" in (
        refused.stderr
    )


async def test_demo_data_is_refused_in_production(settings: Settings) -> None:
    production = _production(new_key_text())
    seeded = run_cli(settings, "seed-demo", "--catalog-size", "0", **production)
    assert seeded.returncode == 2
    assert "demo data is refused in production" in seeded.stderr
    served = run_cli(settings, "serve", "--demo", "--port", str(free_port()), **production)
    assert served.returncode == 2
    assert "demo data is refused in production" in served.stderr
    assert await _user_count(settings) == 0


async def test_production_refuses_a_database_whose_demo_accounts_keep_demo_passwords(
    settings: Settings, tmp_path: Path
) -> None:
    kek = new_key_text()
    seeded = run_cli(settings, "seed-demo", "--catalog-size", "0", TESSERA_KEY_ENCRYPTION_KEY=kek)
    assert "created 6 account(s)" in seeded.stdout, seeded.stderr
    refused = run_cli(settings, "serve", "--port", str(free_port()), **_production(kek))
    assert refused.returncode != 0
    assert "6 demo account(s) still have a demo password" in refused.stdout + refused.stderr

    # The operator changes the demo passwords (disabling the accounts would do as well).
    db = Database(settings.database_url or "", pool_size=1, max_overflow=0)
    try:
        async with db.transaction() as unit:
            session = unit.session
            await session.execute(
                update(User)
                .where(User.email.in_([email for email, _, _ in DEMO_USERS]))
                .values(password_hash=await hash_password("Rotated-By-Ops-2027!"))
            )
            await session.execute(
                update(User).where(User.email == settings.admin_email).values(status="DISABLED")
            )
    finally:
        await db.dispose()
    with api_process(settings, tmp_path / "api.log", **_production(kek)) as api:
        async with httpx.AsyncClient(base_url=api.base_url) as client:
            assert (await client.get("/readyz")).status_code == 200
