"""Seeders for the statement-count tests: `count` items behind one contract operation, each
with every relation a client can select (payment, saga with steps, lines, seats, ...).

Rows are written directly (hundreds of checkouts through the API would only add minutes);
each seeder returns how to call the operation so that it answers exactly those items.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select, update

from persistence.demo_catalog import seed_catalog
from persistence.models.catalog import (
    Category,
    InventoryMovement,
    Product,
    Variant,
    Vendor,
    VendorStaff,
)
from persistence.models.orders import (
    Cart,
    CartLine,
    Order,
    OrderLine,
    OriginManager,
    Payment,
    PointsEntry,
    Saga,
    SagaStep,
    Shipment,
    ShippingOrigin,
)
from persistence.models.reservations import Event, Inventory, Reservation, Seat
from persistence.repositories.origin_stock import PRIMARY_ORIGIN
from tests.accounts import customers, grant_role
from tests.conftest import Api

CATALOG_SIZE = 120  # products; each has 18 variants


@dataclass
class Call:
    variables: dict[str, Any] = field(default_factory=dict)
    token: str | None = None


Seeder = Callable[[Api, int], Awaitable[Call]]


async def _token(api: Api, user_id: uuid.UUID) -> str:
    started = await api.services.sessions.start(str(user_id), "counts", "counts")
    return api.services.tokens.issue_access(str(user_id), started.session.id)[0]


async def _customer(api: Api) -> tuple[uuid.UUID, str]:
    (user_id,) = await customers(api.services, 1)
    return user_id, await _token(api, user_id)


async def _insert(api: Api, *tables: tuple[Any, list[dict[str, Any]]]) -> None:
    async with api.services.db.transaction() as unit:
        session = unit.session
        for model, rows in tables:
            if rows:
                await session.execute(insert(model), rows)


async def _catalog(api: Api) -> list[Any]:
    """The generated demo catalog (once per test database); its variants, in a fixed order."""
    await seed_catalog(api.services.db, CATALOG_SIZE)
    async with api.services.db.read() as conn:
        rows = await conn.execute(
            select(Variant.id, Variant.product_id, Variant.sku, Product.vendor_id)
            .join(Product, Product.id == Variant.product_id)
            .order_by(Variant.sku)
        )
        return list(rows)


async def my_orders(api: Api, count: int) -> Call:
    """One customer with `count` paid orders, each with lines, shipment, payment and a saga."""
    user_id, token = await _customer(api)
    variants = (await _catalog(api))[:3]
    orders, lines, shipments, payments, sagas, steps = [], [], [], [], [], []
    for n in range(count):
        order_id, saga_id = uuid.uuid4(), uuid.uuid4()
        orders.append(
            {
                "id": order_id,
                "user_id": user_id,
                "status": "PAID",
                "currency": "KRW",
                "subtotal_amount": Decimal(3000),
                "total_amount": Decimal(3000),
                "payment_method": "card",
                "idempotency_key": f"count-{n}",
            }
        )
        lines += [
            {
                "order_id": order_id,
                "variant_id": v.id,
                "product_id": v.product_id,
                "vendor_id": v.vendor_id,
                "sku": v.sku,
                "name": v.sku,
                "unit_price": Decimal(1000),
                "quantity": 1,
            }
            for v in variants
        ]
        shipments.append(
            {
                "order_id": order_id,
                "origin_id": PRIMARY_ORIGIN,
                "recipient": "Kim Minji",
                "phone": "+82 10-1234-5678",
                "line1": "1 Sejong-daero",
                "postal_code": "04524",
                "city": "Seoul",
                "country": "KR",
            }
        )
        payments.append(
            {
                "order_id": order_id,
                "provider": "stand-in",
                "provider_reference": f"ch_{n}",
                "amount": Decimal(3000),
                "currency": "KRW",
                "status": "CHARGED",
            }
        )
        sagas.append(
            {
                "id": saga_id,
                "kind": "PAYMENT",
                "order_id": order_id,
                "idempotency_key": f"count-{n}",
                "state": "COMPLETED",
            }
        )
        steps += [
            {
                "saga_id": saga_id,
                "position": p,
                "name": f"step {p}",
                "kind": "QUERY",
                "status": "DONE",
            }
            for p in range(3)
        ]
    await _insert(
        api,
        (Order, orders),
        (OrderLine, lines),
        (Shipment, shipments),
        (Payment, payments),
        (Saga, sagas),
        (SagaStep, steps),
    )
    return Call({"first": count}, token)


async def my_cart(api: Api, count: int) -> Call:
    user_id, token = await _customer(api)
    variants = await _catalog(api)
    cart_id = uuid.uuid4()
    await _insert(
        api,
        (Cart, [{"id": cart_id, "user_id": user_id}]),
        (
            CartLine,
            [{"cart_id": cart_id, "variant_id": v.id, "quantity": 1} for v in variants[:count]],
        ),
    )
    return Call({}, token)


async def my_points(api: Api, count: int) -> Call:
    user_id, token = await _customer(api)
    await _insert(
        api,
        (
            PointsEntry,
            [
                {
                    "user_id": user_id,
                    "delta": 10,
                    "reason": "GRANT",
                    "idempotency_key": uuid.uuid4().hex,
                }
                for _ in range(count)
            ],
        ),
    )
    return Call({}, token)


async def shipping_origins(api: Api, count: int) -> Call:
    """`count` origins in all (the migration's logistics centre among them)."""
    variant = (await _catalog(api))[0]
    async with api.services.db.read() as conn:
        existing = len((await conn.execute(select(ShippingOrigin.id))).all())
    await _insert(
        api,
        (
            ShippingOrigin,
            [
                {"kind": "ORG_HUB", "name": f"HUB {uuid.uuid4().hex[:10]}"}
                for _ in range(count - existing)
            ],
        ),
    )
    return Call({"variantId": str(variant.id)})


async def my_reservations(api: Api, count: int) -> Call:
    user_id, token = await _customer(api)
    inventory_id = uuid.uuid4()
    await _insert(
        api,
        (Inventory, [{"id": inventory_id, "name": "counts", "total": count, "available": 0}]),
        (
            Reservation,
            [
                {
                    "ticket_id": uuid.uuid4(),
                    "user_id": user_id,
                    "status": "CONFIRMED",
                    "inventory_id": inventory_id,
                    "quantity": 1,
                }
                for _ in range(count)
            ],
        ),
    )
    return Call({"first": count}, token)


async def event(api: Api, count: int) -> Call:
    event_id, now = uuid.uuid4(), datetime.now(UTC)
    await _insert(
        api,
        (
            Event,
            [
                {
                    "id": event_id,
                    "name": "counts",
                    "booking_opens_at": now,
                    "booking_closes_at": now + timedelta(days=1),
                    "payment_window_minutes": 10,
                    "price_amount": Decimal(1000),
                    "currency": "KRW",
                }
            ],
        ),
        (Seat, [{"event_id": event_id, "section": "A", "label": str(n)} for n in range(count)]),
    )
    return Call({"id": str(event_id)})


async def products(api: Api, count: int) -> Call:
    await _catalog(api)
    return Call({"first": count})


async def categories(api: Api, count: int) -> Call:
    """`count` categories in all: top levels with children, so `parent` resolves too."""
    async with api.services.db.read() as conn:
        existing = len((await conn.execute(select(Category.id))).all())
    rows: list[dict[str, Any]] = []
    for _ in range(count - existing):
        category_id = uuid.uuid4()
        parent = rows[-1] if rows and rows[-1]["parent_id"] is None else None
        rows.append(
            {
                "id": category_id,
                "parent_id": parent["id"] if parent else None,
                "name": category_id.hex[:12],
                "lineage": [*(parent["lineage"] if parent else []), category_id],
                "path": "/".join(
                    filter(None, [parent["path"] if parent else "", category_id.hex[:12]])
                ),
            }
        )
    await _insert(api, (Category, rows))
    await api.services.catalog_cache.invalidate_categories()
    return Call({})


async def product_entities(api: Api, count: int) -> Call:
    """Unlaunched products of one vendor, asked for by that vendor's staff: each needs the
    vendor-staff check the gateway's `_entities` call runs."""
    variants = await _catalog(api)
    vendor_id = variants[0].vendor_id
    product_ids = list(dict.fromkeys(v.product_id for v in variants))[:count]
    staff_id, token = await _customer(api)
    async with api.services.db.transaction() as unit:
        session = unit.session
        await session.execute(
            update(Product)
            .where(Product.id.in_(product_ids))
            .values(status="DRAFT", vendor_id=vendor_id)
        )
        await session.execute(insert(VendorStaff).values(vendor_id=vendor_id, user_id=staff_id))
    await api.services.catalog_cache.invalidate_products(*product_ids)
    return Call(
        {"representations": [{"__typename": "Product", "id": str(i)} for i in product_ids]}, token
    )


async def vendor_entities(api: Api, count: int) -> Call:
    await _catalog(api)  # 50 vendors; asked for with repeats up to `count`
    async with api.services.db.read() as conn:
        ids = [str(i) for i in (await conn.scalars(select(Vendor.id).order_by(Vendor.name))).all()]
    return Call(
        {
            "representations": [
                {"__typename": "Vendor", "id": ids[n % len(ids)]} for n in range(count)
            ]
        }
    )


async def user_entities(api: Api, count: int) -> Call:
    admin_id, token = await _customer(api)
    await grant_role(api.services, str(admin_id), "admin")
    users = await customers(api.services, count)
    return Call({"representations": [{"__typename": "User", "id": str(i)} for i in users]}, token)


async def _hubs(api: Api, count: int, manager_id: uuid.UUID) -> None:
    """`count` organisation HUBs, each run by `manager_id`."""
    hub_ids = [uuid.uuid4() for _ in range(count)]
    await _insert(
        api,
        (
            ShippingOrigin,
            [{"id": i, "kind": "ORG_HUB", "name": f"HUB {i.hex[:10]}"} for i in hub_ids],
        ),
        (OriginManager, [{"origin_id": i, "user_id": manager_id} for i in hub_ids]),
    )


async def hubs(api: Api, count: int) -> Call:
    """An operator lists `count` HUBs (each with its manager)."""
    operator_id, token = await _customer(api)
    await grant_role(api.services, str(operator_id), "admin")
    (manager_id,) = await customers(api.services, 1)
    async with api.services.db.transaction() as unit:  # only this size's HUBs are listed
        session = unit.session
        await session.execute(delete(OriginManager))
        await session.execute(
            delete(ShippingOrigin).where(ShippingOrigin.kind != "LOGISTICS_CENTER")
        )
    await _hubs(api, count, manager_id)
    return Call({"first": count}, token)


async def my_hubs(api: Api, count: int) -> Call:
    """A HUB manager lists the `count` HUBs they run."""
    manager_id, token = await _customer(api)
    await _hubs(api, count, manager_id)
    return Call({"first": count}, token)


async def stock_ledger(api: Api, count: int) -> Call:
    """A catalog manager reads `count` movements of one product's variant."""
    variant = (await _catalog(api))[0]
    manager_id, token = await _customer(api)
    await grant_role(api.services, str(manager_id), "catalog_manager")
    await _insert(
        api,
        (
            InventoryMovement,
            [
                {
                    "variant_id": variant.id,
                    "delta": 1,
                    "stock_after": n,
                    "reason": "count",
                    "actor_user_id": manager_id,
                    "idempotency_key": uuid.uuid4().hex,
                }
                for n in range(count)
            ],
        ),
    )
    return Call({"productId": str(variant.product_id), "first": count}, token)
