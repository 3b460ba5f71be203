"""Cart and checkout (ORD-1, ORD-5, ORD-7, ID-14, API-6)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound, ValidationFailed
from persistence.models.catalog import Product, Variant
from persistence.models.orders import (
    Cart,
    CartLine,
    Order,
    OrderLine,
    Payment,
    Shipment,
    ShippingOrigin,
)
from resolvers import idempotency, outbox
from resolvers.catalog.stock import apply_stock_change
from resolvers.orders import points
from resolvers.orders.status import order_topic
from resolvers.validation import parse_id, required_text

MAX_QUANTITY = 999
_PHONE = re.compile(r"^\+?[0-9 ()-]{6,30}$")


@dataclass(frozen=True)
class Address:
    recipient: str
    phone: str
    line1: str
    line2: str
    postal_code: str
    city: str
    country: str


async def add_to_cart(
    session: AsyncSession, user_id: uuid.UUID, variant_id: str, quantity: int
) -> uuid.UUID:
    vid = parse_id(variant_id, "variantId")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(f"quantity must be 1..{MAX_QUANTITY}", field="quantity")
    sellable = await session.scalar(
        select(Variant.id)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id == vid, Product.status.in_(("LAUNCHED", "SOLD_OUT")))
    )
    if sellable is None:
        raise NotFound("no such variant", field="variantId")
    cart_id = await session.scalar(
        insert(Cart)
        .values(user_id=user_id)
        .on_conflict_do_update(index_elements=["user_id"], set_={"updated_at": Cart.updated_at})
        .returning(Cart.id)
    )
    await session.execute(
        insert(CartLine)
        .values(cart_id=cart_id, variant_id=vid, quantity=quantity)
        .on_conflict_do_update(
            index_elements=["cart_id", "variant_id"], set_={"quantity": quantity}
        )
    )
    await session.commit()
    return cart_id


def normalized_address(address: Address) -> Address:
    phone = address.phone.strip()
    if not _PHONE.match(phone):
        raise ValidationFailed("not a phone number", field="shippingAddress.phone")
    country = address.country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ValidationFailed("country is a two-letter ISO code", field="shippingAddress.country")
    return Address(
        recipient=required_text(address.recipient, "shippingAddress.recipient", 100),
        phone=phone,
        line1=required_text(address.line1, "shippingAddress.line1", 200),
        line2=address.line2.strip()[:200],
        postal_code=required_text(address.postal_code, "shippingAddress.postalCode", 20),
        city=required_text(address.city, "shippingAddress.city", 100),
        country=country,
    )


async def checkout(
    services,
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    origin_id: str,
    address: Address,  # type: ignore[no-untyped-def]
    use_points: int,
    payment_method: str,
    idempotency_key: str,
) -> uuid.UUID:
    """Order, lines, shipment, payment, stock, the saga and the idempotency key in one
    transaction, or nothing."""
    claimed = await idempotency.claim(
        session,
        caller=user_id,
        operation="checkout",
        key=idempotency_key,
        request={
            "shippingOriginId": origin_id,
            "shippingAddress": address.__dict__,
            "usePoints": use_points,
            "paymentMethod": payment_method,
        },
    )
    if claimed.replayed:
        return uuid.UUID(claimed.first_result())  # a replay returns the first result
    key = idempotency.checked_key(idempotency_key)
    address = normalized_address(address)
    methods = services.settings.payment_methods.get(address.country, ())
    if payment_method not in methods:
        raise ValidationFailed(
            f"payment methods in {address.country}: {', '.join(methods) or 'none'}",
            field="paymentMethod",
        )
    origin = await session.get(ShippingOrigin, parse_id(origin_id, "shippingOriginId"))
    if origin is None:
        raise NotFound("no such shipping origin", field="shippingOriginId")
    rows = (
        await session.execute(
            select(CartLine.quantity, Variant, Product)
            .join(Cart, Cart.id == CartLine.cart_id)
            .join(Variant, Variant.id == CartLine.variant_id)
            .join(Product, Product.id == Variant.product_id)
            .where(Cart.user_id == user_id)
            .order_by(Variant.id)  # a fixed order: concurrent checkouts lock rows alike
        )
    ).all()
    if not rows:
        raise ValidationFailed("the cart is empty", field="cart")
    currencies = {product.currency for _, _, product in rows}
    if len(currencies) != 1:
        raise ValidationFailed("one order holds one currency", field="cart")
    if any(product.status != "LAUNCHED" or not variant.on_sale for _, variant, product in rows):
        raise ValidationFailed(
            "something in the cart is no longer on sale", reason="NOT_ON_SALE", field="cart"
        )
    subtotal = sum(
        (product.price_amount + variant.extra_price) * qty for qty, variant, product in rows
    )
    if use_points < 0 or Decimal(use_points) > subtotal:
        raise ValidationFailed("usePoints must be between 0 and the order total", field="usePoints")
    if use_points and await points.balance(session, user_id) < use_points:
        raise ValidationFailed("not enough points", reason="INSUFFICIENT_POINTS", field="usePoints")

    order = Order(
        id=uuid.uuid4(),
        user_id=user_id,
        currency=currencies.pop(),
        subtotal_amount=subtotal,
        total_amount=subtotal - use_points,
        points_used=use_points,
        payment_method=payment_method,
        idempotency_key=key,
    )
    session.add(order)
    await session.flush()
    session.add_all(
        OrderLine(
            order_id=order.id,
            variant_id=variant.id,
            product_id=product.id,
            vendor_id=product.vendor_id,
            sku=variant.sku,
            name=product.name,
            unit_price=product.price_amount + variant.extra_price,
            quantity=qty,
        )
        for qty, variant, product in rows
    )
    session.add(Shipment(order_id=order.id, origin_id=origin.id, **address.__dict__))
    session.add(
        Payment(
            order_id=order.id,
            provider=services.payments.name,
            amount=order.total_amount,
            currency=order.currency,
            status="PENDING",
        )
    )
    for qty, variant, product in rows:
        try:
            await apply_stock_change(
                session,
                variant_id=variant.id,
                product_id=product.id,
                delta=-qty,
                reason=f"order {order.id}",
                key=f"order:{order.id}:{variant.id}",
                actor=user_id,
                origin_id=origin.id,
            )
        except ValidationFailed as exc:
            raise ValidationFailed(
                f"{origin.name} cannot ship {qty} of {variant.sku}",
                reason="INSUFFICIENT_STOCK",
                field="quantity",
            ) from exc
    await session.execute(
        delete(CartLine).where(CartLine.cart_id.in_(select(Cart.id).where(Cart.user_id == user_id)))
    )
    await services.sagas.start(session, "PAYMENT", order.id, key)
    outbox.emit(
        session, order_topic(order.id), {"id": str(order.id), "status": "PENDING", "version": 1}
    )
    await idempotency.remember(session, claimed, str(order.id))
    await session.commit()  # shipment and order together (ORD-1): a failing insert leaves neither
    await services.catalog_cache.invalidate_products(*{product.id for _, _, product in rows})
    return order.id
