"""Checkout and the payment saga end to end (ORD-1, ORD-2, ORD-6, ORD-7)."""

from __future__ import annotations

from sqlalchemy import func, select, text

from persistence.models.orders import Order
from stand_ins.process import StandIn
from tests.catalog.world import World
from tests.orders.shop import open_shop


async def test_checkout_runs_the_payment_saga_to_completion(
    world: World, payment_provider: StandIn
) -> None:
    shop = await open_shop(world, payment_provider.url, stock=5, points=3000)
    placed = await shop.buy(2, use_points=1000)
    order = placed["data"]["checkout"]["order"]
    assert order["status"] == "PENDING"
    assert order["total"] == {"amount": "19000.00", "currency": "KRW"}
    assert order["shipment"]["origin"]["kind"] == "LOGISTICS_CENTER"
    done = await shop.settled(order["id"])
    assert done["status"] == "COMPLETED"
    assert done["saga"]["state"] == "COMPLETED"
    assert [s["status"] for s in done["saga"]["steps"]] == ["DONE"] * 8
    assert done["payment"]["status"] == "CHARGED"
    assert done["pointsUsed"] == 1000 and done["pointsEarned"] == 190
    charges = await shop.ledger(order["id"])
    assert [(c["amount"], c["status"]) for c in charges] == [("19000.00", "SUCCEEDED")]
    assert await shop.points() == 3000 - 1000 + 190
    assert await shop.stock() == 3


async def test_checkout_replays_return_the_same_order(
    world: World, payment_provider: StandIn
) -> None:
    shop = await open_shop(world, payment_provider.url)
    first = await shop.buy(1, key="same-key")
    second = await shop.buy(1, key="same-key")
    assert first["data"]["checkout"]["order"]["id"] == second["data"]["checkout"]["order"]["id"]
    async with world.api.services.db.transaction() as uow:
        session = uow.session
        assert await session.scalar(select(func.count()).select_from(Order)) == 1


async def test_shipping_row_failure_leaves_no_order(
    world: World, payment_provider: StandIn
) -> None:
    """ORD-1: force the shipment insert to fail; nothing of the order may remain."""
    shop = await open_shop(world, payment_provider.url, stock=5)
    async with world.api.services.db.transaction() as uow:
        session = uow.session
        await session.execute(
            text(
                "ALTER TABLE order_shipment ADD CONSTRAINT test_no_nowhere CHECK (city <> 'Nowhere')"
            )
        )
    await shop.run("AddToCart", {"variantId": shop.variant_id, "quantity": 2})
    from tests.orders.shop import ADDRESS, ICHEON

    result = await shop.run(
        "Checkout",
        {
            "input": {
                "shippingOriginId": ICHEON,
                "shippingAddress": {**ADDRESS, "city": "Nowhere"},
                "paymentMethod": "card",
                "idempotencyKey": "k",
            }
        },
    )
    assert result["errors"][0]["extensions"]["code"] == "INTERNAL"
    async with world.api.services.db.transaction() as uow:
        session = uow.session
        assert await session.scalar(select(func.count()).select_from(Order)) == 0
    assert await shop.stock() == 5
    cart = (await shop.run("MyCart"))["data"]["myCart"]
    assert cart["lines"][0]["quantity"] == 2  # the cart is untouched too


async def test_bad_checkout_input(world: World, payment_provider: StandIn) -> None:
    shop = await open_shop(world, payment_provider.url, stock=1)
    too_many = await shop.buy(2)
    assert too_many["errors"][0]["extensions"]["reason"] == "INSUFFICIENT_STOCK"
    wrong_method = await shop.buy(1, method="bitcoin")
    assert wrong_method["errors"][0]["extensions"]["field"] == "paymentMethod"
    no_points = await shop.buy(1, use_points=500)
    assert no_points["errors"][0]["extensions"]["reason"] == "INSUFFICIENT_POINTS"
    assert await shop.stock() == 1


async def test_my_orders_costs_the_same_statements_for_2_or_10(
    quiet, unique_email, payment_provider: StandIn
) -> None:  # type: ignore[no-untyped-def]
    """API-2: shipments of a page of orders load in one batch."""
    from tests.catalog.world import build_world
    from tests.sql_counter import count_statements

    world = await build_world(quiet, unique_email)
    shop = await open_shop(world, payment_provider.url, stock=20)
    for _ in range(12):
        await shop.buy(1)
    counts = {}
    for first in (2, 10):
        with count_statements(quiet.services.db.engine) as statements:
            page = await shop.run("MyOrders", {"first": first})
        assert len(page["data"]["myOrders"]["edges"]) == first
        counts[first] = len(statements)
    assert counts[2] == counts[10], counts
