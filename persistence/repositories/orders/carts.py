"""Carts and what checkout reads of them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from persistence.models.catalog import Product, Variant
from persistence.models.orders import Cart, CartLine, OriginStock, ShippingOrigin


async def sellable_variant(session: AsyncSession, variant_id: uuid.UUID) -> bool:
    """A variant whose product is launched or sold out (may be put in a cart)."""
    found = await session.scalar(
        select(Variant.id)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id == variant_id, Product.status.in_(("LAUNCHED", "SOLD_OUT")))
    )
    return found is not None


async def put_line(
    session: AsyncSession, user_id: uuid.UUID, variant_id: uuid.UUID, quantity: int
) -> uuid.UUID:
    """The user's cart (created on first use) now holds `quantity` of the variant."""
    cart_id = await session.scalar(
        insert(Cart)
        .values(user_id=user_id)
        .on_conflict_do_update(index_elements=["user_id"], set_={"updated_at": Cart.updated_at})
        .returning(Cart.id)
    )
    await session.execute(
        insert(CartLine)
        .values(cart_id=cart_id, variant_id=variant_id, quantity=quantity)
        .on_conflict_do_update(
            index_elements=["cart_id", "variant_id"], set_={"quantity": quantity}
        )
    )
    return cart_id


async def checkout_lines(session: AsyncSession, user_id: uuid.UUID) -> list[Any]:
    """(quantity, Variant, Product) of each cart line, in variant order: concurrent checkouts
    lock rows alike."""
    rows = await session.execute(
        select(CartLine.quantity, Variant, Product)
        .join(Cart, Cart.id == CartLine.cart_id)
        .join(Variant, Variant.id == CartLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(Cart.user_id == user_id)
        .order_by(Variant.id)
    )
    return list(rows.all())


async def empty(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        delete(CartLine).where(CartLine.cart_id.in_(select(Cart.id).where(Cart.user_id == user_id)))
    )


async def cart_of(conn: AsyncConnection, user_id: uuid.UUID) -> tuple[uuid.UUID | None, list[Any]]:
    """The user's cart id (None if none yet) and its lines (variant_id, quantity)."""
    cart_id = await conn.scalar(select(Cart.id).where(Cart.user_id == user_id))
    if cart_id is None:
        return None, []
    lines = await conn.execute(
        select(CartLine.variant_id, CartLine.quantity)
        .where(CartLine.cart_id == cart_id)
        .order_by(CartLine.variant_id)
    )
    return cart_id, list(lines.all())


async def origin(session: AsyncSession, origin_id: uuid.UUID) -> ShippingOrigin | None:
    return await session.get(ShippingOrigin, origin_id)


async def origins_with_stock(conn: AsyncConnection, variant_id: uuid.UUID) -> list[Any]:
    """Every shipping origin with what it holds of the variant (0 when nothing)."""
    rows = await conn.execute(
        select(
            ShippingOrigin.id,
            ShippingOrigin.kind,
            ShippingOrigin.name,
            func.coalesce(OriginStock.quantity, 0).label("quantity"),
        )
        .outerjoin(
            OriginStock,
            (OriginStock.origin_id == ShippingOrigin.id) & (OriginStock.variant_id == variant_id),
        )
        .order_by(ShippingOrigin.kind, ShippingOrigin.name)
    )
    return list(rows.all())
