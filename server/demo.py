"""Demo data for `make run`: an admin and a few users with built-in roles (idempotent)."""

from __future__ import annotations

import os

from persistence.repositories.identity import user_by_email
from resolvers import identity
from resolvers.services import Services

DEMO_PASSWORD_DEFAULT = "Tessera-Demo-2026!"

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("alice@tessera.local", "Alice Kim", "customer"),
    ("bob@tessera.local", "Bob Lee", "customer"),
    ("cara@tessera.local", "Cara Park", "catalog_manager"),
    ("sam@tessera.local", "Sam Choi", "support"),
    ("vera@tessera.local", "Vera Jung", "vendor_staff"),
)


async def seed_demo(services: Services) -> list[str]:
    """Create whichever demo accounts are missing; return the e-mails created."""
    settings = services.settings
    demo_password = os.environ.get("TESSERA_DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)
    wanted = [(settings.admin_email, "Administrator", "admin", settings.admin_password)]
    wanted += [(email, name, role, demo_password) for email, name, role in DEMO_USERS]
    created = []
    for email, name, role, password in wanted:
        async with services.db.unit_of_work() as session:
            if await user_by_email(session, email) is not None:
                continue
        await identity.create_user(
            services, email=email, password=password, display_name=name, role=role
        )
        created.append(email)
    return created
