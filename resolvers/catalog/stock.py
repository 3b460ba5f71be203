"""Stock changes through the append-only inventory ledger (CAT-1, CAT-8, API-6)."""

from __future__ import annotations

import uuid

from core.errors import Conflict, NotFound, ValidationFailed
from persistence.catalog_cache import CatalogCache
from persistence.repositories.catalog import products as product_repo
from persistence.repositories.catalog import stock as repo
from persistence.repositories.origin_stock import PRIMARY_ORIGIN, change_origin_stock
from persistence.unit_of_work import Session, UnitOfWork
from resolvers import idempotency
from resolvers.catalog import rules
from resolvers.catalog.access import Editor, ensure_can_edit
from resolvers.validation import parse_id, required_text

MAX_DELTA = 1_000_000


async def apply_stock_change(
    session: Session,
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

    Runs inside its caller's transaction (checkout, HUB transfers, sagas, adjustStock) and
    never ends it: it only writes and flushes, and on every refusal it has written nothing.
    The product's row lock serialises changes of one product, so a replay of `key` (even a
    concurrent one) sees the first change and applies nothing; the conditional UPDATE makes
    negative stock impossible. The caller makes the cached product stale
    (CatalogCache.products_changed) and commits.
    """
    product = await product_repo.lock_product(session, product_id)
    assert product is not None, "callers pass a variant's own product"
    recorded = await repo.movement_for_key(session, key)
    if recorded is not None:
        if recorded != (variant_id, delta):
            raise Conflict(
                "idempotencyKey was already used for another change",
                reason="IDEMPOTENCY_KEY_REUSED",
            )
        return False
    if await change_origin_stock(session, origin_id, variant_id, delta) is None:
        raise ValidationFailed(
            "stock would become negative", reason="INSUFFICIENT_STOCK", field="delta"
        )
    if not await repo.record_movement(
        session,
        variant_id=variant_id,
        delta=delta,
        reason=reason,
        actor=actor,
        key=key,
        origin_id=origin_id,
    ):
        # Another product's change took `key` meanwhile (changes of this product wait for
        # the lock above): undo ours (our row lock keeps the row as we left it) and refuse.
        await change_origin_stock(session, origin_id, variant_id, -delta)
        raise Conflict(
            "idempotencyKey was already used for another change", reason="IDEMPOTENCY_KEY_REUSED"
        )
    implied = rules.automatic_status(
        product.status, await repo.available_stock(session, product_id)
    )
    if implied is not None:
        why = "stock exhausted" if implied == "SOLD_OUT" else "restocked"
        await product_repo.record_transition(session, product, implied, why, None)
    return True


async def adjust_stock(
    uow: UnitOfWork,
    cache: CatalogCache,
    editor: Editor,
    *,
    variant_id: str,
    delta: int,
    reason: str,
    idempotency_key: str,
) -> uuid.UUID:
    claimed = await idempotency.claim(
        uow.session,
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
    owner = await repo.variant_owner(uow.session, vid)
    if owner is None:
        raise NotFound("no such variant", field="variantId")
    product_id, vendor_id = owner
    await ensure_can_edit(uow, editor, vendor_id)
    await apply_stock_change(
        uow.session,
        variant_id=vid,
        product_id=product_id,
        delta=delta,
        reason=reason,
        key=f"adjust:{claimed.id}",
        actor=editor.user_id,
    )
    await idempotency.remember(uow.session, claimed, str(vid))
    cache.products_changed(uow, product_id)
    return vid
