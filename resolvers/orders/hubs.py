"""HUBs (ORD-7): operators create HUBs and name their managers; managers pre-order HUB stock
from a logistics centre (a stock transfer)."""

from __future__ import annotations

import re
import uuid

from core.errors import Forbidden, NotFound, ValidationFailed
from persistence.catalog_cache import CatalogCache
from persistence.models.orders import HUB_CODE_PATTERN, ShippingOrigin
from persistence.repositories.orders import hubs as repo
from persistence.unit_of_work import UnitOfWork
from resolvers import idempotency
from resolvers.catalog.stock import apply_stock_change
from resolvers.identity import audit
from resolvers.services import RequestMeta
from resolvers.validation import parse_id, required_text

HUB_KINDS = {"ORG": "ORG_HUB", "DEALER": "DEALER_HUB"}


async def transfer_stock(
    uow: UnitOfWork,
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
    session = uow.session
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
    hub, centre = await repo.origin(session, hub_uuid), await repo.origin(session, from_uuid)
    if hub is None or hub.kind == "LOGISTICS_CENTER":
        raise NotFound("no such HUB", field="hubId")
    if centre is None or centre.kind != "LOGISTICS_CENTER":
        raise NotFound("no such logistics centre", field="fromOriginId")
    if hub.id not in await repo.managed_origin_ids(session, user_id):
        raise Forbidden("only this HUB's owners may restock it", reason="NOT_YOUR_HUB")
    product_id = await repo.product_of_variant(session, vid)
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
    cache.products_changed(uow, product_id)
    return hub.id


async def create_hub(
    uow: UnitOfWork,
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
    await repo.add_hub(uow.session, hub)
    audit.record(
        uow.session,
        "orders.hub_created",
        subject_type="hub",
        subject_id=str(hub.id),
        meta=meta,
        actor=actor,
        data={"code": code, "type": hub_type},
    )
    return hub.id


async def _hub_and_user(uow: UnitOfWork, hub_id: str, user_id: str) -> tuple[uuid.UUID, uuid.UUID]:
    hub = await repo.origin(uow.session, parse_id(hub_id, "hubId"))
    if hub is None or hub.kind == "LOGISTICS_CENTER":
        raise NotFound("no such HUB", field="hubId")
    user = parse_id(user_id, "userId")
    if not await repo.user_exists(uow.session, user):
        raise NotFound("no such user", field="userId")
    return hub.id, user


async def change_manager(
    uow: UnitOfWork,
    actor: uuid.UUID,
    meta: RequestMeta,
    *,
    hub_id: str,
    user_id: str,
    add: bool,
) -> uuid.UUID:
    """Name or remove a HUB manager; repeating either is harmless and audited once."""
    hub, user = await _hub_and_user(uow, hub_id, user_id)
    if await repo.set_manager(uow.session, hub, user, add=add):
        audit.record(
            uow.session,
            "orders.hub_manager_added" if add else "orders.hub_manager_removed",
            subject_type="hub",
            subject_id=str(hub),
            meta=meta,
            actor=actor,
            data={"userId": str(user)},
        )
    return hub
