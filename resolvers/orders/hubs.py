"""HUB stock (ORD-7): HUB owners pre-order stock from a logistics centre (a stock transfer)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.catalog import Variant
from persistence.models.orders import OriginManager, ShippingOrigin
from resolvers import idempotency
from resolvers.catalog.cache import CatalogCache
from resolvers.catalog.stock import apply_stock_change
from resolvers.errors import Forbidden, NotFound, ValidationFailed


async def managed_origin_ids(session: AsyncSession, user_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.scalars(
        select(OriginManager.origin_id).where(OriginManager.user_id == user_id)
    )
    return set(rows)


async def transfer_stock(
    session: AsyncSession,
    cache: CatalogCache,
    user_id: uuid.UUID,
    *,
    hub_id: str,
    from_id: str,
    variant_id: str,
    quantity: int,
    idempotency_key: str,
) -> uuid.UUID:
    """Move stock from a logistics centre to the caller's HUB; both ledger rows or neither."""
    claimed = await idempotency.claim(
        session,
        caller=user_id,
        operation="transferStock",
        key=idempotency_key,
        request={
            "hubId": hub_id,
            "fromOriginId": from_id,
            "variantId": variant_id,
            "quantity": quantity,
        },
    )
    if claimed.replayed:
        return uuid.UUID(claimed.first_result())
    if not 1 <= quantity <= 100_000:
        raise ValidationFailed("quantity must be 1..100000", field="quantity")
    try:
        hub_uuid, from_uuid, vid = uuid.UUID(hub_id), uuid.UUID(from_id), uuid.UUID(variant_id)
    except ValueError as exc:
        raise NotFound("no such HUB, centre or variant") from exc
    hub, centre = (
        await session.get(ShippingOrigin, hub_uuid),
        await session.get(ShippingOrigin, from_uuid),
    )
    if hub is None or hub.kind == "LOGISTICS_CENTER":
        raise NotFound("no such HUB", field="hubId")
    if centre is None or centre.kind != "LOGISTICS_CENTER":
        raise NotFound("no such logistics centre", field="fromOriginId")
    if hub.id not in await managed_origin_ids(session, user_id):
        raise Forbidden("only this HUB's owners may restock it", reason="NOT_YOUR_HUB")
    product_id = await session.scalar(select(Variant.product_id).where(Variant.id == vid))
    if product_id is None:
        raise NotFound("no such variant", field="variantId")
    reason = f"transfer {centre.name} -> {hub.name}"
    try:
        await apply_stock_change(
            session,
            variant_id=vid,
            product_id=product_id,
            delta=-quantity,
            reason=reason,
            key=f"transfer-out:{claimed.id}",
            actor=user_id,
            origin_id=centre.id,
        )
    except ValidationFailed as exc:
        raise ValidationFailed(
            f"{centre.name} holds fewer than {quantity}",
            reason="INSUFFICIENT_STOCK",
            field="quantity",
        ) from exc
    await apply_stock_change(
        session,
        variant_id=vid,
        product_id=product_id,
        delta=quantity,
        reason=reason,
        key=f"transfer-in:{claimed.id}",
        actor=user_id,
        origin_id=hub.id,
    )
    await idempotency.remember(session, claimed, str(hub.id))
    await session.commit()
    await cache.invalidate_products(product_id)
    return hub.id
