"""Purchase history (ID-14) through ../shared/contract/orders.graphql: each order's lines with
product, amounts and delivery state, for the buyer (also withdrawn, for a year) and support."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from stand_ins.process import StandIn
from tests.accounts import grant_role, new_user
from tests.catalog.world import World
from tests.orders.shop import open_shop


async def test_lines_amounts_and_delivery_state(world: World, payment_provider: StandIn) -> None:
    shop = await open_shop(world, payment_provider.url, stock=5)
    tablet = await world.create_product(name="Tab Four")  # options: Color x Storage
    await world.launch(tablet["id"])
    white_256 = next(v for v in tablet["variants"] if v["optionValues"] == ["White", "256GB"])
    await world.stock(white_256["id"], 10)
    added = await shop.run("AddToCart", {"variantId": white_256["id"], "quantity": 3})
    assert not added.get("errors"), added
    placed = await shop.buy(2)
    order_id = placed["data"]["checkout"]["order"]["id"]
    await shop.settled(order_id)

    history = (await shop.run("PurchaseHistory", {"first": 5}))["data"]["myOrders"]
    (order,) = [edge["node"] for edge in history["edges"]]
    assert order["id"] == order_id and order["status"] == "COMPLETED"
    assert order["total"] == {"amount": "23450.00", "currency": "KRW"}
    assert order["shipment"] == {"status": "PREPARING"}
    lines = {line["variantId"]: line for line in order["lines"]}
    phone = (await world.run("Product", {"id": shop.product_id}))["data"]["product"]
    assert lines[shop.variant_id] == {
        "productId": shop.product_id,
        "variantId": shop.variant_id,
        "sku": phone["variants"][0]["sku"],
        "name": "Galaxy Nine",
        "quantity": 2,
        "unitPrice": {"amount": "10000.00", "currency": "KRW"},
        "lineTotal": {"amount": "20000.00", "currency": "KRW"},
    }
    assert lines[white_256["id"]] == {
        "productId": tablet["id"],
        "variantId": white_256["id"],
        "sku": white_256["sku"],
        "name": "Tab Four",
        "quantity": 3,
        "unitPrice": {"amount": "1150.00", "currency": "KRW"},  # 1000 + White 50 + 256GB 100
        "lineTotal": {"amount": "3450.00", "currency": "KRW"},
    }
    one = (await shop.run("OrderLines", {"id": order_id}))["data"]["order"]
    assert one["lines"] == order["lines"]

    # Another customer cannot see it; support (orders.read_all) can.
    stranger = await new_user(world.api.client, f"other-{uuid.uuid4().hex[:6]}@example.com")
    hidden = await shop.run("OrderLines", {"id": order_id}, token=stranger.access_token)
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    support = await new_user(world.api.client, f"support-{uuid.uuid4().hex[:6]}@example.com")
    await grant_role(world.api.services, support.user_id, "support")
    seen = await shop.run("OrderLines", {"id": order_id}, token=support.access_token)
    assert seen["data"]["order"]["lines"] == order["lines"]

    # A refund stops the shipment: the history shows the new delivery state.
    refund = {"orderId": order_id, "reason": "broken", "idempotencyKey": uuid.uuid4().hex}
    assert not (await shop.run("RequestRefund", refund)).get("errors")
    await shop.settled(order_id)
    after = (await shop.run("OrderLines", {"id": order_id}))["data"]["order"]
    assert after["shipment"]["status"] == "CANCELLED" and after["lines"] == order["lines"]


async def test_withdrawn_customer_sees_lines_for_a_year(
    world: World, payment_provider: StandIn
) -> None:
    shop = await open_shop(world, payment_provider.url, stock=5)
    order_id = (await shop.buy(1))["data"]["checkout"]["order"]["id"]
    await shop.settled(order_id)
    assert not (await shop.run("Withdraw", {"reason": "moving"})).get("errors")
    history = (await shop.run("PurchaseHistory", {"first": 5}))["data"]["myOrders"]
    assert [line["quantity"] for line in history["edges"][0]["node"]["lines"]] == [1]
    lines = (await shop.run("OrderLines", {"id": order_id}))["data"]["order"]["lines"]
    assert lines[0]["lineTotal"] == {"amount": "10000.00", "currency": "KRW"}
    async with world.api.services.db.transaction() as unit:
        session = unit.session
        await session.execute(
            text(
                "UPDATE identity_user SET withdrawn_at = withdrawn_at - interval '1 year 1 minute'"
                " WHERE id = :u"
            ),
            {"u": shop.customer.user_id},
        )
    assert (await shop.run("PurchaseHistory", {"first": 5}))["data"]["myOrders"]["edges"] == []
    gone = await shop.run("OrderLines", {"id": order_id})
    assert gone["errors"][0]["extensions"]["code"] == "NOT_FOUND"
