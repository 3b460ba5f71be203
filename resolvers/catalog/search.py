"""Turns public search input into validated filters (CAT-7)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from core.errors import NotFound, ValidationFailed
from persistence.repositories.catalog import ProductSearch
from persistence.views.catalog import CategoryView
from resolvers.catalog import rules


def subtree(categories: list[CategoryView], root: uuid.UUID) -> tuple[uuid.UUID, ...]:
    return tuple(c.id for c in categories if root in c.lineage)


def build_search(
    categories: list[CategoryView],
    *,
    text: str | None,
    category_id: str | None,
    vendor_id: str | None,
    min_price: Decimal | None,
    max_price: Decimal | None,
    attributes: list[tuple[str, str]],
    available_only: bool,
) -> ProductSearch:
    if text is not None and len(text) > 200:
        raise ValidationFailed("text is longer than 200 characters", field="filter.text")
    category_ids = None
    types: dict[str, str] = {}
    for category in categories:
        types.update(category.attribute_types)
    if category_id is not None:
        try:
            root = uuid.UUID(category_id)
        except ValueError as exc:
            raise NotFound("no such category", field="filter.categoryId") from exc
        category_ids = subtree(categories, root)
        if not category_ids:
            raise NotFound("no such category", field="filter.categoryId")
        types = next(c for c in categories if c.id == root).attribute_types
    vendor = None
    if vendor_id is not None:
        try:
            vendor = uuid.UUID(vendor_id)
        except ValueError as exc:
            raise NotFound("no such vendor", field="filter.vendorId") from exc
    for name, bound in (("minPrice", min_price), ("maxPrice", max_price)):
        if bound is not None and (not bound.is_finite() or bound < 0):
            raise ValidationFailed(f"{name} must not be negative", field=f"filter.{name}")
    if min_price is not None and max_price is not None and min_price > max_price:
        raise ValidationFailed("minPrice is above maxPrice", field="filter.minPrice")
    return ProductSearch(
        text=text.strip() or None if text else None,
        category_ids=category_ids,
        vendor_id=vendor,
        min_price=min_price,
        max_price=max_price,
        attributes=rules.typed_attributes(attributes, types),
        available_only=available_only,
    )
