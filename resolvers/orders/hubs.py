"""HUBs (ORD-7): operators create HUBs and name their managers; managers pre-order HUB stock
from a logistics centre (a stock transfer)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from persistence.catalog_cache import CatalogCache
from persistence.models.catalog import Variant
from persistence.models.identity import User
from persistence.models.orders import HUB_CODE_PATTERN, OriginManager, ShippingOrigin
from resolvers import idempotency
from resolvers.catalog.stock import apply_stock_change
from resolvers.identity import audit
from resolvers.services import RequestMeta
from resolvers.validation import parse_id, required_text

HUB_KINDS = {"ORG": "ORG_HUB", "DEALER": "DEALER_HUB"}


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


async def create_hub(
    session: AsyncSession,
    actor: uuid.UUID,
    meta: RequestMeta,
    *,
    code: str,
    hub_type: str,
    name: str,
    owner: str,
    location: str,
) -> uuid.UUID:
    """An organisation HUB (owner: the department) or a dealer HUB (owner: the dealer)."""
    code = code.strip().upper()
    if not re.fullmatch(HUB_CODE_PATTERN, code):
        raise ValidationFailed(
            "code is 2..40 capital letters, digits or '-', starting with a letter or digit",
            field="code",
        )
    if hub_type not in HUB_KINDS:
        raise ValidationFailed(f"type must be one of {', '.join(HUB_KINDS)}", field="type")
    hub = ShippingOrigin(
        id=uuid.uuid4(),
        code=code,
        kind=HUB_KINDS[hub_type],
        name=required_text(name, "name", 100),
        owner=required_text(owner, "owner", 100),
        location=required_text(location, "location", 200),
    )
    session.add(hub)
    try:
        await session.flush()
    except IntegrityError as exc:
        field = "code" if "uq_order_shipping_origin_code" in str(exc.orig) else "name"
        raise Conflict(f"a shipping origin has this {field}", field=field) from exc
    audit.record(
        session,
        "orders.hub_created",
        subject_type="hub",
        subject_id=str(hub.id),
        meta=meta,
        actor=actor,
        data={"code": code, "type": hub_type},
    )
    await session.commit()
    return hub.id


async def _hub_and_user(
    session: AsyncSession, hub_id: str, user_id: str
) -> tuple[uuid.UUID, uuid.UUID]:
    hub = await session.get(ShippingOrigin, parse_id(hub_id, "hubId"))
    if hub is None or hub.kind == "LOGISTICS_CENTER":
        raise NotFound("no such HUB", field="hubId")
    user = await session.get(User, parse_id(user_id, "userId"))
    if user is None:
        raise NotFound("no such user", field="userId")
    return hub.id, user.id


async def change_manager(
    session: AsyncSession,
    actor: uuid.UUID,
    meta: RequestMeta,
    *,
    hub_id: str,
    user_id: str,
    add: bool,
) -> uuid.UUID:
    """Name or remove a HUB manager; repeating either is harmless and audited once."""
    hub, user = await _hub_and_user(session, hub_id, user_id)
    if add:
        statement = insert(OriginManager).values(origin_id=hub, user_id=user)
        changed = await session.scalar(
            statement.on_conflict_do_nothing().returning(OriginManager.user_id)
        )
    else:
        changed = await session.scalar(
            delete(OriginManager)
            .where(OriginManager.origin_id == hub, OriginManager.user_id == user)
            .returning(OriginManager.user_id)
        )
    if changed is not None:
        audit.record(
            session,
            "orders.hub_manager_added" if add else "orders.hub_manager_removed",
            subject_type="hub",
            subject_id=str(hub),
            meta=meta,
            actor=actor,
            data={"userId": str(user)},
        )
    await session.commit()
    return hub
