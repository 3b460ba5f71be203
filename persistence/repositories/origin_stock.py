"""Stock per shipping origin (ORD-7). catalog_variant.stock follows by trigger."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.orders import OriginStock

# Icheon Logistics Center (migration 0003): catalog-level stock changes land here.
PRIMARY_ORIGIN = uuid.UUID("00000000-0000-4000-8000-000000000001")


async def change_origin_stock(
    session: AsyncSession, origin_id: uuid.UUID, variant_id: uuid.UUID, delta: int
) -> int | None:
    """Apply `delta` to one origin's stock; the new quantity, or None if it would go negative.

    Conditional single-row statements: no lock is held longer than the statement,
    and negative stock is impossible even for racing transactions."""
    if delta >= 0:
        statement = (
            insert(OriginStock)
            .values(origin_id=origin_id, variant_id=variant_id, quantity=delta)
            .on_conflict_do_update(
                index_elements=["origin_id", "variant_id"],
                set_={"quantity": OriginStock.quantity + delta},
            )
            .returning(OriginStock.quantity)
        )
    else:
        statement = (
            update(OriginStock)
            .where(
                OriginStock.origin_id == origin_id,
                OriginStock.variant_id == variant_id,
                OriginStock.quantity + delta >= 0,
            )
            .values(quantity=OriginStock.quantity + delta)
            .returning(OriginStock.quantity)
        )
    return await session.scalar(statement)
