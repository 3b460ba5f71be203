"""API-2 for purchase history (ID-14): the lines and shipments of a page of orders load in one
batch each, so a page of 10 orders and a page of 100 cost the same statements."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import insert

from persistence.models.orders import Order, OrderLine, Payment, Shipment
from stand_ins.process import StandIn
from tests.catalog.world import build_world
from tests.conftest import Api
from tests.orders.shop import ICHEON, open_shop
from tests.sql_counter import count_statements


async def _orders(api: Api, user_id: str, variants: list[dict], count: int) -> None:
    """`count` orders of two lines each, written directly: 100 checkouts through the API would
    only add minutes to what this test measures (reading them back)."""
    ids = [uuid.uuid4() for _ in range(count)]
    price = Decimal("1000.00")
    async with api.services.db.transaction() as uow:
        session = uow.session
        await session.execute(
            insert(Order),
            [
                {
                    "id": i,
                    "user_id": user_id,
                    "currency": "KRW",
                    "subtotal_amount": price * 3,
                    "total_amount": price * 3,
                    "payment_method": "card",
                    "idempotency_key": i.hex,
                }
                for i in ids
            ],
        )
        await session.execute(
            insert(OrderLine),
            [
                {
                    "order_id": i,
                    "variant_id": variant["id"],
                    "product_id": variant["productId"],
                    "vendor_id": variant["vendorId"],
                    "sku": variant["sku"],
                    "name": "Galaxy Nine",
                    "unit_price": price,
                    "quantity": quantity,
                }
                for i in ids
                for variant, quantity in zip(variants, (1, 2), strict=True)
            ],
        )
        await session.execute(
            insert(Shipment),
            [
                {
                    "order_id": i,
                    "origin_id": ICHEON,
                    "recipient": "Kim",
                    "phone": "010",
                    "line1": "1 Sejong-daero",
                    "postal_code": "04524",
                    "city": "Seoul",
                    "country": "KR",
                }
                for i in ids
            ],
        )
        await session.execute(
            insert(Payment),
            [
                {
                    "order_id": i,
                    "provider": "stand-in",
                    "amount": price * 3,
                    "currency": "KRW",
                    "status": "CHARGED",
                }
                for i in ids
            ],
        )


async def test_purchase_history_costs_the_same_for_10_or_100_orders(
    quiet: Api, unique_email: Callable[[str], str], payment_provider: StandIn
) -> None:
    world = await build_world(quiet, unique_email)
    shop = await open_shop(world, payment_provider.url)
    product = await world.create_product()
    variants = [
        {**v, "productId": product["id"], "vendorId": world.vendor_a}
        for v in product["variants"][:2]
    ]
    await _orders(quiet, shop.customer.user_id, variants, 120)
    counts = {}
    for first in (10, 100):
        with count_statements(quiet.services.db.engine) as statements:
            page = await shop.run("PurchaseHistory", {"first": first})
        orders = [edge["node"] for edge in page["data"]["myOrders"]["edges"]]
        assert len(orders) == first
        assert all(
            [(line["quantity"], line["lineTotal"]["amount"]) for line in order["lines"]]
            in ([(1, "1000.00"), (2, "2000.00")], [(2, "2000.00"), (1, "1000.00")])
            and order["shipment"]["status"] == "PREPARING"
            for order in orders
        )
        counts[first] = len(statements)
    assert counts[10] == counts[100], counts
    # the caller's account status (1), withdrawal check (1), the page (1), the lines of the
    # page (1), the shipments (1)
    assert counts[100] <= 5, counts
