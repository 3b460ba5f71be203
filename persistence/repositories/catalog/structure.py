"""Categories with attribute definitions, vendors and their staff (CAT-3, CAT-5)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.errors import Conflict, ValidationFailed
from persistence.models.catalog import AttributeDefinition, Category, Vendor, VendorStaff
from persistence.models.identity import User


async def insert_category(
    session: AsyncSession,
    *,
    category_id: uuid.UUID,
    parent_id: uuid.UUID | None,
    name: str,
    lineage: list[uuid.UUID],
    path: str,
    attributes: list[tuple[str, str]],
) -> None:
    """The category and its own attribute definitions. Constraint violations raise domain
    errors; they roll back to a savepoint, so the caller's transaction stays usable."""
    try:
        async with session.begin_nested():
            session.add(
                Category(id=category_id, parent_id=parent_id, name=name, lineage=lineage, path=path)
            )
            await session.flush()  # the category row first: its definitions reference it
            session.add_all(
                AttributeDefinition(category_id=category_id, key=key, type=type_)
                for key, type_ in attributes
            )
    except IntegrityError as exc:
        message = str(exc.orig).lower()
        if "unique" in message or "duplicate" in message:
            raise Conflict("a sibling category has this name", field="name") from exc
        raise ValidationFailed(
            "attribute keys are lower_snake_case, 1..40 characters", field="attributes"
        ) from exc


async def insert_vendor(
    session: AsyncSession, *, vendor_id: uuid.UUID, name: str, first_party: bool
) -> None:
    """Conditional insert: a taken name is a Conflict, and nothing was written."""
    inserted = await session.scalar(
        insert(Vendor)
        .values(id=vendor_id, name=name, first_party=first_party)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(Vendor.id)
    )
    if inserted is None:
        raise Conflict("a vendor has this name", field="name")


async def vendor_exists(session: AsyncSession, vendor_id: uuid.UUID) -> bool:
    return await session.get(Vendor, vendor_id) is not None


async def vendor_named(session: AsyncSession, name: str) -> uuid.UUID | None:
    return await session.scalar(select(Vendor.id).where(Vendor.name == name))


async def user_exists(session: AsyncSession, user_id: uuid.UUID) -> bool:
    return await session.get(User, user_id) is not None


async def add_staff(session: AsyncSession, vendor_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await session.execute(
        insert(VendorStaff).values(vendor_id=vendor_id, user_id=user_id).on_conflict_do_nothing()
    )


async def is_vendor_staff(
    db: AsyncSession | AsyncConnection, user_id: uuid.UUID, vendor_id: uuid.UUID
) -> bool:
    found = await db.execute(
        select(VendorStaff.user_id).where(
            VendorStaff.user_id == user_id, VendorStaff.vendor_id == vendor_id
        )
    )
    return found.first() is not None
