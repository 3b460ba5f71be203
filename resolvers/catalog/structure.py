"""Catalog structure: categories with attribute definitions, vendors and their staff."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, NotFound, ValidationFailed
from persistence.catalog_cache import CatalogCache
from persistence.models.catalog import (
    ATTRIBUTE_TYPES,
    AttributeDefinition,
    Category,
    Vendor,
    VendorStaff,
)
from persistence.models.identity import User
from resolvers.validation import parse_id, required_text


async def create_category(
    session: AsyncSession,
    cache: CatalogCache,
    *,
    name: str,
    parent_id: str | None,
    attributes: list[tuple[str, str]],
) -> uuid.UUID:
    name = required_text(name, "name", 100)
    if "/" in name:
        raise ValidationFailed("name may not contain '/'", field="name")
    categories = {c.id: c for c in await cache.categories()}
    parent = None
    if parent_id is not None:
        parent = categories.get(parse_id(parent_id, "parentId"))
        if parent is None:
            raise NotFound("no such parent category", field="parentId")
    inherited = parent.attribute_types if parent else {}
    for key, type_ in attributes:
        if type_ not in ATTRIBUTE_TYPES:
            raise ValidationFailed(
                f"attribute type must be one of {', '.join(ATTRIBUTE_TYPES)}",
                field=f"attributes.{key}",
            )
        if key in inherited:
            raise ValidationFailed(
                f"attribute {key!r} is already defined by a parent", field=f"attributes.{key}"
            )
    category_id = uuid.uuid4()
    session.add(
        Category(
            id=category_id,
            parent_id=parent.id if parent else None,
            name=name,
            lineage=[*(parent.lineage if parent else ()), category_id],
            path=f"{parent.path}/{name}" if parent else name,
        )
    )
    try:
        await session.flush()  # the category row first: its definitions reference it
        session.add_all(
            AttributeDefinition(category_id=category_id, key=key, type=type_)
            for key, type_ in attributes
        )
        await session.commit()
    except IntegrityError as exc:
        raise _conflict_or_validation(
            exc, "a sibling category has this name", field="name"
        ) from exc
    await cache.invalidate_categories()
    return category_id


def _conflict_or_validation(exc: IntegrityError, duplicate: str, field: str) -> Exception:
    message = str(exc.orig)
    if "unique" in message.lower() or "duplicate" in message.lower():
        return Conflict(duplicate, field=field)
    return ValidationFailed(
        "attribute keys are lower_snake_case, 1..40 characters", field="attributes"
    )


async def create_vendor(
    session: AsyncSession, cache: CatalogCache, *, name: str, first_party: bool
) -> uuid.UUID:
    vendor = Vendor(id=uuid.uuid4(), name=required_text(name, "name", 100), first_party=first_party)
    session.add(vendor)
    try:
        await session.commit()
    except IntegrityError as exc:
        raise Conflict("a vendor has this name", field="name") from exc
    await cache.invalidate_vendors()
    return vendor.id


async def add_vendor_staff(session: AsyncSession, *, vendor_id: str, user_id: str) -> uuid.UUID:
    vid, uid = parse_id(vendor_id, "vendorId"), parse_id(user_id, "userId")
    if await session.get(Vendor, vid) is None:
        raise NotFound("no such vendor", field="vendorId")
    if await session.get(User, uid) is None:
        raise NotFound("no such user", field="userId")
    await session.execute(
        insert(VendorStaff).values(vendor_id=vid, user_id=uid).on_conflict_do_nothing()
    )
    await session.commit()
    return vid
