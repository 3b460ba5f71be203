"""Demo data for `make run`: an admin and a few users with built-in roles (idempotent)."""

from __future__ import annotations

import os

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from persistence.models.catalog import Vendor, VendorStaff
from persistence.repositories.identity import user_by_email
from resolvers import identity
from resolvers.services import Services
from server.demo_catalog import seed_catalog

DEMO_PASSWORD_DEFAULT = "Tessera-Demo-2026!"

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("alice@tessera.local", "Alice Kim", "customer"),
    ("bob@tessera.local", "Bob Lee", "customer"),
    ("cara@tessera.local", "Cara Park", "catalog_manager"),
    ("sam@tessera.local", "Sam Choi", "support"),
    ("vera@tessera.local", "Vera Jung", "vendor_staff"),
)


async def seed_demo(services: Services, catalog_size: int = 0) -> list[str]:
    """Create whichever demo accounts are missing, and a catalog when there is none.

    Returns the e-mails created."""
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
    if catalog_size and await seed_catalog(services.db, catalog_size):
        await _vendor_staff(services, "vera@tessera.local", "Vendor 01")
    return created


async def _vendor_staff(services: Services, email: str, vendor_name: str) -> None:
    async with services.db.unit_of_work() as session:
        user = await user_by_email(session, email)
        vendor_id = await session.scalar(select(Vendor.id).where(Vendor.name == vendor_name))
        if user is not None and vendor_id is not None:
            await session.execute(
                insert(VendorStaff)
                .values(vendor_id=vendor_id, user_id=user.id)
                .on_conflict_do_nothing()
            )
            await session.commit()
