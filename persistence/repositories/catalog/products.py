"""What product use cases read and write in their unit of work (CAT-1..CAT-6, ORD-8)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.catalog import (
    LifecycleTransition,
    OptionGroup,
    OptionValue,
    Product,
    Variant,
)


@dataclass(frozen=True)
class NewOptionGroup:
    id: uuid.UUID
    name: str
    values: list[tuple[uuid.UUID, str, Decimal]]  # (id, value, extra price)


@dataclass(frozen=True)
class NewVariant:
    sku: str
    option_value_ids: list[uuid.UUID]
    extra_price: Decimal


@dataclass(frozen=True)
class LockedProduct:
    id: uuid.UUID
    vendor_id: uuid.UUID
    status: str


async def set_actor(session: AsyncSession, user_id: uuid.UUID | None) -> None:
    """Tell database triggers (price history) who acts in this transaction."""
    await session.execute(
        text("SELECT set_config('tessera.actor', :actor, true)"), {"actor": str(user_id or "")}
    )


async def product_vendor(session: AsyncSession, product_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(select(Product.vendor_id).where(Product.id == product_id))


async def insert_product(
    session: AsyncSession,
    product: dict[str, Any],
    groups: list[NewOptionGroup],
    variants: list[NewVariant],
) -> None:
    """The product, its option groups and values, and its variants (in foreign-key order)."""
    session.add(Product(**product))
    await session.flush()
    session.add_all(
        OptionGroup(id=group.id, product_id=product["id"], name=group.name, position=position)
        for position, group in enumerate(groups)
    )
    await session.flush()
    session.add_all(
        OptionValue(id=value_id, group_id=group.id, value=value, extra_price=extra, position=index)
        for group in groups
        for index, (value_id, value, extra) in enumerate(group.values)
    )
    session.add_all(
        Variant(
            product_id=product["id"],
            sku=variant.sku,
            option_value_ids=variant.option_value_ids,
            extra_price=variant.extra_price,
            stock=0,
            on_sale=True,
            position=position,
        )
        for position, variant in enumerate(variants)
    )
    await session.flush()


async def change_price(
    session: AsyncSession,
    product_id: uuid.UUID,
    *,
    price: Decimal,
    currency: str,
    expected_version: int,
) -> bool:
    """Apply only to `expected_version` in `currency` (optimistic lock); False when not."""
    updated = await session.execute(
        update(Product)
        .where(
            Product.id == product_id,
            Product.version == expected_version,
            Product.currency == currency,
        )
        .values(price_amount=price, version=Product.version + 1, updated_at=func.now())
        .returning(Product.version)
    )
    return updated.first() is not None


async def version_and_currency(session: AsyncSession, product_id: uuid.UUID) -> tuple[int, str]:
    row = (
        await session.execute(
            select(Product.version, Product.currency).where(Product.id == product_id)
        )
    ).one()
    return row.version, row.currency


async def lock_product(session: AsyncSession, product_id: uuid.UUID) -> LockedProduct | None:
    """The product's row locked until the end of the transaction (serialises status flips)."""
    row = (
        await session.execute(
            select(Product.id, Product.vendor_id, Product.status)
            .where(Product.id == product_id)
            .with_for_update()
        )
    ).first()
    return None if row is None else LockedProduct(row.id, row.vendor_id, row.status)


async def record_transition(
    session: AsyncSession,
    product: LockedProduct,
    target: str,
    reason: str | None,
    actor: uuid.UUID | None,
) -> None:
    """A lifecycle step (CAT-6): the history row, the new status and the next version."""
    session.add(
        LifecycleTransition(
            product_id=product.id,
            from_status=product.status,
            to_status=target,
            reason=reason,
            actor_user_id=actor,
        )
    )
    await session.execute(
        update(Product)
        .where(Product.id == product.id)
        .values(status=target, version=Product.version + 1)
    )
