"""Catalog structure: categories with attribute definitions, vendors and their staff."""

from __future__ import annotations

import uuid

from core.errors import NotFound, ValidationFailed
from persistence.catalog_cache import CatalogCache
from persistence.models.catalog import ATTRIBUTE_TYPES
from persistence.repositories.catalog import structure as repo
from persistence.unit_of_work import UnitOfWork
from persistence.views.catalog import CategoryView
from resolvers.validation import parse_id, required_text


async def create_category(
    uow: UnitOfWork,
    cache: CatalogCache,
    *,
    name: str,
    parent_id: str | None,
    attributes: list[tuple[str, str]],
) -> CategoryView:
    """The new category as readers will see it once the unit of work commits."""
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
    view = CategoryView(
        id=category_id,
        parent_id=parent.id if parent else None,
        name=name,
        path=f"{parent.path}/{name}" if parent else name,
        lineage=(*(parent.lineage if parent else ()), category_id),
        attribute_types={**inherited, **dict(attributes)},
    )
    await repo.insert_category(
        uow.session,
        category_id=view.id,
        parent_id=view.parent_id,
        name=view.name,
        lineage=list(view.lineage),
        path=view.path,
        attributes=attributes,
    )
    cache.categories_changed(uow)
    return view


async def create_vendor(
    uow: UnitOfWork, cache: CatalogCache, *, name: str, first_party: bool
) -> uuid.UUID:
    vendor_id = uuid.uuid4()
    await repo.insert_vendor(
        uow.session,
        vendor_id=vendor_id,
        name=required_text(name, "name", 100),
        first_party=first_party,
    )
    cache.vendors_changed(uow)
    return vendor_id


async def add_vendor_staff(uow: UnitOfWork, *, vendor_id: str, user_id: str) -> uuid.UUID:
    vid, uid = parse_id(vendor_id, "vendorId"), parse_id(user_id, "userId")
    if not await repo.vendor_exists(uow.session, vid):
        raise NotFound("no such vendor", field="vendorId")
    if not await repo.user_exists(uow.session, uid):
        raise NotFound("no such user", field="userId")
    await repo.add_staff(uow.session, vid, uid)
    return vid
