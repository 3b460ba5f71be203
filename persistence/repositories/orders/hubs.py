"""HUBs and their managers (ORD-7)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict
from persistence.models.catalog import Variant
from persistence.models.identity import User
from persistence.models.orders import OriginManager, ShippingOrigin


async def managed_origin_ids(session: AsyncSession, user_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.scalars(
        select(OriginManager.origin_id).where(OriginManager.user_id == user_id)
    )
    return set(rows)


async def origin(session: AsyncSession, origin_id: uuid.UUID) -> ShippingOrigin | None:
    return await session.get(ShippingOrigin, origin_id)


async def user_exists(session: AsyncSession, user_id: uuid.UUID) -> bool:
    return await session.get(User, user_id) is not None


async def product_of_variant(session: AsyncSession, variant_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(select(Variant.product_id).where(Variant.id == variant_id))


async def add_hub(session: AsyncSession, hub: ShippingOrigin) -> None:
    """Insert a HUB; a code or name already used raises Conflict naming the field. A SAVEPOINT
    keeps the caller's transaction usable after the refusal."""
    try:
        async with session.begin_nested():
            session.add(hub)
    except IntegrityError as exc:
        field = "code" if "uq_order_shipping_origin_code" in str(exc.orig) else "name"
        raise Conflict(f"a shipping origin has this {field}", field=field) from exc


async def set_manager(
    session: AsyncSession, hub_id: uuid.UUID, user_id: uuid.UUID, *, add: bool
) -> bool:
    """Name (add) or remove a manager; False when nothing changed."""
    if add:
        changed = await session.scalar(
            insert(OriginManager)
            .values(origin_id=hub_id, user_id=user_id)
            .on_conflict_do_nothing()
            .returning(OriginManager.user_id)
        )
    else:
        changed = await session.scalar(
            delete(OriginManager)
            .where(OriginManager.origin_id == hub_id, OriginManager.user_id == user_id)
            .returning(OriginManager.user_id)
        )
    return changed is not None
