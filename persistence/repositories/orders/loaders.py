"""Orders queries: every batch function answers many orders (or HUBs) with a fixed number of
statements."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.models.identity import User
from persistence.models.orders import (
    OrderLine,
    OriginManager,
    Payment,
    Saga,
    SagaStep,
    Shipment,
    ShippingOrigin,
)

HUB_COLUMNS = (
    ShippingOrigin.id,
    ShippingOrigin.code,
    ShippingOrigin.kind,
    ShippingOrigin.name,
    ShippingOrigin.owner,
    ShippingOrigin.location,
)


async def lines_by_orders(
    conn: AsyncConnection, order_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Any]]:
    """What each order bought, as priced at checkout (the lines are a snapshot)."""
    rows = await conn.execute(
        select(
            OrderLine.order_id,
            OrderLine.product_id,
            OrderLine.variant_id,
            OrderLine.sku,
            OrderLine.name,
            OrderLine.unit_price,
            OrderLine.quantity,
        )
        .where(OrderLine.order_id.in_(order_ids))
        .order_by(OrderLine.order_id, OrderLine.sku)
    )
    return {order_id: list(group) for order_id, group in groupby(rows, attrgetter("order_id"))}


async def hub_page(
    conn: AsyncConnection, *, manager_id: uuid.UUID | None, after_code: str | None, limit: int
) -> list[Any]:
    """HUBs (never logistics centres) by code; only those `manager_id` runs when given."""
    query = (
        select(*HUB_COLUMNS)
        .where(ShippingOrigin.kind != "LOGISTICS_CENTER")
        .order_by(ShippingOrigin.code)
        .limit(limit)
    )
    if manager_id is not None:
        query = query.join(
            OriginManager,
            (OriginManager.origin_id == ShippingOrigin.id) & (OriginManager.user_id == manager_id),
        )
    if after_code is not None:
        query = query.where(ShippingOrigin.code > after_code)
    return list(await conn.execute(query))


async def hubs_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    rows = await conn.execute(
        select(*HUB_COLUMNS).where(
            ShippingOrigin.id.in_(ids), ShippingOrigin.kind != "LOGISTICS_CENTER"
        )
    )
    return {row.id: row for row in rows}


async def managers_by_hubs(
    conn: AsyncConnection, hub_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Any]]:
    rows = await conn.execute(
        select(OriginManager.origin_id, User.id, User.display_name)
        .join(User, User.id == OriginManager.user_id)
        .where(OriginManager.origin_id.in_(hub_ids))
        .order_by(OriginManager.origin_id, User.display_name, User.id)
    )
    return {hub_id: list(group) for hub_id, group in groupby(rows, attrgetter("origin_id"))}


@dataclass(frozen=True)
class SagaWithSteps:
    kind: str
    state: str
    steps: list[Any]  # rows of order_saga_step, in position order


async def shipments_by_orders(
    conn: AsyncConnection, order_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    rows = await conn.execute(
        select(
            Shipment.order_id,
            Shipment.status,
            ShippingOrigin.id,
            ShippingOrigin.kind,
            ShippingOrigin.name,
        )
        .join(ShippingOrigin, ShippingOrigin.id == Shipment.origin_id)
        .where(Shipment.order_id.in_(order_ids))
    )
    return {row.order_id: row for row in rows}


async def payments_by_orders(
    conn: AsyncConnection, order_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    rows = await conn.execute(select(Payment.__table__).where(Payment.order_id.in_(order_ids)))
    return {row.order_id: row for row in rows}


async def newest_sagas_by_orders(
    conn: AsyncConnection, order_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, SagaWithSteps]:
    """The newest saga of each order (payment, or a later refund) with its steps: two statements."""
    sagas = (
        await conn.execute(
            select(Saga.id, Saga.order_id, Saga.kind, Saga.state)
            .where(Saga.order_id.in_(order_ids))
            .order_by(Saga.order_id, Saga.created_at.desc())
            .ext(distinct_on(Saga.order_id))
        )
    ).all()
    if not sagas:
        return {}
    steps: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for step in await conn.execute(
        select(SagaStep.__table__)
        .where(SagaStep.saga_id.in_([s.id for s in sagas]))
        .order_by(SagaStep.saga_id, SagaStep.position)
    ):
        steps[step.saga_id].append(step)
    return {s.order_id: SagaWithSteps(s.kind, s.state, steps[s.id]) for s in sagas}
