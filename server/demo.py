"""Demo data for `make run`: an admin and a few users with built-in roles (idempotent).

Never in production: `seed-demo` and `serve --demo` are refused there, and production
start-up refuses a database whose demo accounts can still be entered with a demo password.
"""

from __future__ import annotations

from auth.passwords import verify_password
from core.settings import (
    DEMO_ADMIN_EMAIL,
    DEMO_ADMIN_PASSWORD,
    DEMO_USER_PASSWORD,
    ConfigurationError,
    Settings,
)
from persistence.demo_catalog import seed_catalog
from persistence.repositories.catalog import structure
from persistence.repositories.identity.accounts import active_password_hashes, user_by_email
from resolvers.identity.signup import create_user
from resolvers.services import Services

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("alice@tessera.local", "Alice Kim", "customer"),
    ("bob@tessera.local", "Bob Lee", "customer"),
    ("cara@tessera.local", "Cara Park", "catalog_manager"),
    ("sam@tessera.local", "Sam Choi", "support"),
    ("vera@tessera.local", "Vera Jung", "vendor_staff"),
)


def refuse_in_production(settings: Settings) -> None:
    if settings.is_production:
        raise ConfigurationError("demo data is refused in production (TESSERA_ENV=production)")


async def refuse_demo_passwords(services: Services) -> None:
    """Production start-up: no active account may still open with a published demo password."""
    demo_passwords = {
        DEMO_USER_PASSWORD,
        DEMO_ADMIN_PASSWORD,
        services.settings.demo_password,
    }
    emails = [DEMO_ADMIN_EMAIL, services.settings.admin_email, *(e for e, _, _ in DEMO_USERS)]
    async with services.db.read() as connection:
        rows = await active_password_hashes(connection, emails)
    exposed = sorted(
        {
            email
            for email, password_hash in rows
            for password in demo_passwords
            if password_hash and await verify_password(password_hash, password)
        }
    )
    if exposed:
        raise ConfigurationError(
            f"{len(exposed)} demo account(s) still have a demo password: change their "
            "passwords or disable them before starting in production"
        )


async def seed_demo(services: Services, catalog_size: int = 0) -> list[str]:
    """Create whichever demo accounts are missing, and a catalog when there is none.

    Returns the e-mails created."""
    settings = services.settings
    refuse_in_production(settings)
    demo_password = settings.demo_password
    wanted = [(settings.admin_email, "Administrator", "admin", settings.admin_password)]
    wanted += [(email, name, role, demo_password) for email, name, role in DEMO_USERS]
    created = []
    for email, name, role, password in wanted:
        async with services.db.transaction() as uow:
            if await user_by_email(uow.session, email) is not None:
                continue
            await create_user(
                services, uow, email=email, password=password, display_name=name, role=role
            )
        created.append(email)
    if catalog_size and await seed_catalog(services.db, catalog_size):
        await _vendor_staff(services, "vera@tessera.local", "Vendor 01")
    return created


async def _vendor_staff(services: Services, email: str, vendor_name: str) -> None:
    async with services.db.transaction() as uow:
        session = uow.session
        user = await user_by_email(session, email)
        vendor_id = await structure.vendor_named(session, vendor_name)
        if user is not None and vendor_id is not None:
            await structure.add_staff(session, vendor_id, user.id)
