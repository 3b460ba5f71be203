"""Cart and checkout (ORD-1, ORD-5, ORD-7, ID-14, API-6)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from core.errors import NotFound, ValidationFailed
from persistence.models.orders import Order, OrderLine, Payment, Shipment
from persistence.repositories.orders import carts
from persistence.repositories.orders import orders as repo
from persistence.unit_of_work import UnitOfWork
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
    uow: UnitOfWork, user_id: uuid.UUID, variant_id: str, quantity: int
) -> uuid.UUID:
    vid = parse_id(variant_id, "variantId")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(f"quantity must be 1..{MAX_QUANTITY}", field="quantity")
    if not await carts.sellable_variant(uow.session, vid):
        raise NotFound("no such variant", field="variantId")
    return await carts.put_line(uow.session, user_id, vid, quantity)


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
    services,  # type: ignore[no-untyped-def]
    uow: UnitOfWork,
    user_id: uuid.UUID,
    *,
    origin_id: str,
    address: Address,
    use_points: int,
    payment_method: str,
    idempotency_key: str,
) -> uuid.UUID:
    """Order, lines, shipment, payment, stock, the saga and the idempotency key in the
    caller's one transaction, or nothing."""
    session = uow.session
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
    origin = await carts.origin(session, parse_id(origin_id, "shippingOriginId"))
    if origin is None:
        raise NotFound("no such shipping origin", field="shippingOriginId")
    rows = await carts.checkout_lines(session, user_id)
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
    repo.add(session, order)
    await repo.flush(session)
    repo.add(
        session,
        *(
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
        ),
        Shipment(order_id=order.id, origin_id=origin.id, **address.__dict__),
        Payment(
            order_id=order.id,
            provider=services.payments.name,
            amount=order.total_amount,
            currency=order.currency,
            status="PENDING",
        ),
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
    await carts.empty(session, user_id)
    await services.sagas.start(uow, "PAYMENT", order.id, key)
    outbox.emit(
        session, order_topic(order.id), {"id": str(order.id), "status": "PENDING", "version": 1}
    )
    await idempotency.remember(session, claimed, str(order.id))
    # The request's unit of work commits all of it once (ORD-1: a failing insert leaves
    # nothing); the worker's saga runs the payment after that commit.
    services.catalog_cache.products_changed(uow, *(product.id for _, _, product in rows))
    return order.id
