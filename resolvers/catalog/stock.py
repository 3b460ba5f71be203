"""Stock changes through the append-only inventory ledger (CAT-1, CAT-8, API-6)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, NotFound, ValidationFailed
from persistence.catalog_cache import CatalogCache
from persistence.models.catalog import InventoryMovement, Product, Variant
from persistence.repositories import catalog as repo
from persistence.repositories.origin_stock import PRIMARY_ORIGIN, change_origin_stock
from resolvers import idempotency
from resolvers.catalog import rules
from resolvers.catalog.access import Editor, ensure_can_edit
from resolvers.catalog.products import record_transition
from resolvers.validation import parse_id, required_text

MAX_DELTA = 1_000_000


async def _replayed(session: AsyncSession, key: str, variant_id: uuid.UUID, delta: int) -> bool:
    first = (
        await session.execute(
            select(InventoryMovement.variant_id, InventoryMovement.delta).where(
                InventoryMovement.idempotency_key == key
            )
        )
    ).first()
    if first is None:
        return False
    if (first.variant_id, first.delta) != (variant_id, delta):
        raise Conflict(
            "idempotencyKey was already used for another change", reason="IDEMPOTENCY_KEY_REUSED"
        )
    return True


async def apply_stock_change(
    session: AsyncSession,
    *,
    variant_id: uuid.UUID,
    product_id: uuid.UUID,
    delta: int,
    reason: str,
    key: str,
    actor: uuid.UUID | None,
    origin_id: uuid.UUID = PRIMARY_ORIGIN,
) -> bool:
    """Change stock, write the ledger, flip SOLD_OUT/LAUNCHED; False when `key` was already applied.

    The conditional UPDATE makes negative stock impossible; the ledger's unique
    key makes a replay (even a concurrent one) apply nothing. Caller commits.
    """
    if await _replayed(session, key, variant_id, delta):
        return False
    product = await session.get(
        Product, product_id, with_for_update=True
    )  # serialises status flips
    assert product is not None
    if await change_origin_stock(session, origin_id, variant_id, delta) is None:
        raise ValidationFailed(
            "stock would become negative", reason="INSUFFICIENT_STOCK", field="delta"
        )
    stock_after = await session.scalar(select(Variant.stock).where(Variant.id == variant_id))
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
    if claimed is None:  # a concurrent request with the same key committed first
        await session.rollback()
        return False
    available = await session.scalar(
        select(func.coalesce(func.sum(Variant.stock), 0)).where(
            Variant.product_id == product_id, Variant.on_sale
        )
    )
    implied = rules.automatic_status(product.status, int(available or 0))
    if implied is not None:
        why = "stock exhausted" if implied == "SOLD_OUT" else "restocked"
        record_transition(session, product, implied, why, None)
    return True


async def adjust_stock(
    session: AsyncSession,
    cache: CatalogCache,
    editor: Editor,
    *,
    variant_id: str,
    delta: int,
    reason: str,
    idempotency_key: str,
) -> uuid.UUID:
    claimed = await idempotency.claim(
        session,
        caller=editor.user_id,
        operation="adjustStock",
        key=idempotency_key,
        request={"variantId": variant_id, "delta": delta, "reason": reason},
    )
    if claimed.replayed:
        return uuid.UUID(claimed.first_result())
    vid = parse_id(variant_id, "variantId")
    if delta == 0 or abs(delta) > MAX_DELTA:
        raise ValidationFailed(
            f"delta must be non-zero and at most {MAX_DELTA} in size", field="delta"
        )
    reason = required_text(reason, "reason", 500)
    found = (
        await session.execute(
            select(Variant.product_id, Product.vendor_id)
            .join(Product, Product.id == Variant.product_id)
            .where(Variant.id == vid)
        )
    ).first()
    if found is None:
        raise NotFound("no such variant", field="variantId")
    await ensure_can_edit(session, editor, found.vendor_id)
    await apply_stock_change(
        session,
        variant_id=vid,
        product_id=found.product_id,
        delta=delta,
        reason=reason,
        key=f"adjust:{claimed.id}",
        actor=editor.user_id,
    )
    await idempotency.remember(session, claimed, str(vid))
    await session.commit()
    await cache.invalidate_products(found.product_id)
    return vid


async def ensure_can_read_ledger(
    session: AsyncSession, editor: Editor, product_id: str
) -> uuid.UUID:
    """The ledger (CAT-8) is for catalog managers and the owning vendor's staff only."""
    pid = parse_id(product_id, "productId")
    vendor_id = await repo.product_vendor(session, pid)
    if vendor_id is None:
        raise NotFound("no such product", field="productId")
    await ensure_can_edit(session, editor, vendor_id)
    return pid
