"""The inventory ledger's writes (CAT-1, CAT-8, API-6); origin stock is origin_stock.py's."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.catalog import InventoryMovement, Product, Variant


async def movement_for_key(session: AsyncSession, key: str) -> tuple[uuid.UUID, int] | None:
    """(variant, delta) of the movement already recorded under `key`, if any."""
    row = (
        await session.execute(
            select(InventoryMovement.variant_id, InventoryMovement.delta).where(
                InventoryMovement.idempotency_key == key
            )
        )
    ).first()
    return None if row is None else (row.variant_id, row.delta)


async def variant_owner(
    session: AsyncSession, variant_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(product, vendor) of a variant."""
    row = (
        await session.execute(
            select(Variant.product_id, Product.vendor_id)
            .join(Product, Product.id == Variant.product_id)
            .where(Variant.id == variant_id)
        )
    ).first()
    return None if row is None else (row.product_id, row.vendor_id)


async def record_movement(
    session: AsyncSession,
    *,
    variant_id: uuid.UUID,
    delta: int,
    reason: str,
    actor: uuid.UUID | None,
    key: str,
    origin_id: uuid.UUID,
) -> bool:
    """Append the movement with the variant's stock after it; False when another transaction
    recorded `key` first (the ledger's unique key: nothing is written then)."""
    stock_after = select(Variant.stock).where(Variant.id == variant_id).scalar_subquery()
    claimed = await session.scalar(
        insert(InventoryMovement)
        .values(
            variant_id=variant_id,
            delta=delta,
            stock_after=stock_after,
            reason=reason,
            actor_user_id=actor,
            idempotency_key=key,
            origin_id=origin_id,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(InventoryMovement.id)
    )
    return claimed is not None


async def available_stock(session: AsyncSession, product_id: uuid.UUID) -> int:
    """What the product's on-sale variants hold together."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Variant.stock), 0)).where(
            Variant.product_id == product_id, Variant.on_sale
        )
    )
    return int(total or 0)
