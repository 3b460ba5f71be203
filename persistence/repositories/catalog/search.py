"""Public product search (CAT-7) and the inventory ledger's pages (CAT-8): keyset reads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.models.catalog import InventoryMovement, Product, Variant
from persistence.repositories.catalog.reads import PRODUCT_COLUMNS, product_view
from persistence.views.catalog import ProductView


@dataclass(frozen=True)
class ProductSearch:
    """Validated filters; see resolvers.catalog.search for how input becomes this."""

    text: str | None = None
    category_ids: tuple[uuid.UUID, ...] | None = None
    vendor_id: uuid.UUID | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    available_only: bool = False
    statuses: tuple[str, ...] = ("LAUNCHED", "SOLD_OUT")


def _conditions(search: ProductSearch) -> list[Any]:
    conditions: list[Any] = [Product.status.in_(search.statuses)]
    if search.text:
        pattern = (
            "%" + search.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        conditions.append(
            or_(
                Product.search.op("@@")(
                    func.websearch_to_tsquery(literal_column("'simple'"), search.text)
                ),
                Product.name.ilike(pattern),
            )
        )
    if search.category_ids is not None:
        conditions.append(Product.category_id.in_(search.category_ids))
    if search.vendor_id is not None:
        conditions.append(Product.vendor_id == search.vendor_id)
    if search.min_price is not None:
        conditions.append(Product.price_amount >= search.min_price)
    if search.max_price is not None:
        conditions.append(Product.price_amount <= search.max_price)
    if search.attributes:
        conditions.append(Product.attributes.op("@>")(search.attributes))
    if search.available_only:
        conditions.append(Product.status == "LAUNCHED")
        conditions.append(
            exists().where(
                and_(Variant.product_id == Product.id, Variant.stock > 0, Variant.on_sale)
            )
        )
    return conditions


def search_page(search: ProductSearch, after_seq: int | None, limit: int) -> Select:
    query = (
        select(*PRODUCT_COLUMNS, Product.seq)
        .where(*_conditions(search))
        .order_by(Product.seq)
        .limit(limit)
    )
    if after_seq is not None:
        query = query.where(Product.seq > after_seq)
    return query


def search_count(search: ProductSearch) -> Select:
    return select(func.count()).select_from(Product).where(*_conditions(search))


async def product_page(
    conn: AsyncConnection, search: ProductSearch, after_seq: int | None, limit: int
) -> tuple[list[tuple[int, ProductView]], int]:
    """Up to `limit` matches after `after_seq` as (seq, product), and the total match count."""
    rows = (await conn.execute(search_page(search, after_seq, limit))).all()
    total = await conn.scalar(search_count(search))
    return [(row.seq, product_view(row)) for row in rows], int(total or 0)


async def ledger_page(
    conn: AsyncConnection,
    product_id: uuid.UUID,
    *,
    variant_id: uuid.UUID | None,
    before_id: int | None,
    limit: int,
) -> list[Any]:
    """A product's inventory movements, newest first (keyset on the ledger id)."""
    query = (
        select(
            InventoryMovement.id,
            InventoryMovement.variant_id,
            Variant.sku,
            InventoryMovement.delta,
            InventoryMovement.stock_after,
            InventoryMovement.reason,
            InventoryMovement.actor_user_id,
            InventoryMovement.origin_id,
            InventoryMovement.at,
        )
        .join(Variant, Variant.id == InventoryMovement.variant_id)
        .where(Variant.product_id == product_id)
        .order_by(InventoryMovement.id.desc())
        .limit(limit)
    )
    if variant_id is not None:
        query = query.where(InventoryMovement.variant_id == variant_id)
    if before_id is not None:
        query = query.where(InventoryMovement.id < before_id)
    return list(await conn.execute(query))
