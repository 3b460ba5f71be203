"""Orders queries: every batch function answers many orders with a fixed number of statements."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.models.orders import Payment, Saga, SagaStep, Shipment, ShippingOrigin


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
