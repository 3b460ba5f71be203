"""../shared/contract/orders.graphql, operation by operation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from resolvers.orders.withdrawal import purge_expired_history
from stand_ins.process import StandIn
from tests.accounts import grant_role, new_user
from tests.catalog.world import World
from tests.contract.documents import operation_names
from tests.orders.shop import ADDRESS, ICHEON, ORDERS, open_shop


def test_every_operation_is_exercised() -> None:
    assert set(operation_names("orders")) == {
        "AddToCart",
        "MyCart",
        "ShippingOrigins",
        "Checkout",
        "Order",
        "OrderUpdates",
        "RequestRefund",
        "MyPoints",
        "MyOrders",
        "Withdraw",
        # Item 12 of issue 9: test_purchase_history_contract.py and test_hubs_contract.py.
        "PurchaseHistory",
        "OrderLines",
        "CreateHub",
        "AddHubManager",
        "RemoveHubManager",
        "Hubs",
        "MyHubs",
    }


async def test_cart_and_shipping_origins(world: World, payment_provider: StandIn) -> None:
    shop = await open_shop(world, payment_provider.url, stock=7)
    cart = (await shop.run("AddToCart", {"variantId": shop.variant_id, "quantity": 3}))["data"][
        "addToCart"
    ]["cart"]
    assert cart["lines"][0]["quantity"] == 3 and cart["total"] == {
        "amount": "30000.00",
        "currency": "KRW",
    }
    assert (await shop.run("MyCart"))["data"]["myCart"] == cart
    origins = (await shop.run("ShippingOrigins", {"variantId": shop.variant_id}))["data"][
        "shippingOrigins"
    ]
    icheon = next(o for o in origins if o["id"] == ICHEON)
    assert icheon == {
        "id": ICHEON,
        "kind": "LOGISTICS_CENTER",
        "name": "Icheon Logistics Center",
        "availableQuantity": 7,
    }
    assert len([o for o in origins if o["kind"] == "LOGISTICS_CENTER"]) == 5
    bad = await shop.run("AddToCart", {"variantId": shop.variant_id, "quantity": 0})
    assert bad["errors"][0]["extensions"]["field"] == "quantity"


async def test_order_updates_are_pushed(world: World, payment_provider: StandIn) -> None:
    shop = await open_shop(world, payment_provider.url)
    await shop.run("AddToCart", {"variantId": shop.variant_id, "quantity": 1})
    placed = await shop.buy(1)
    order_id = placed["data"]["checkout"]["order"]["id"]
    async with world.api.client.socket(shop.customer.access_token) as socket:
        await socket.subscribe(ORDERS, {"orderId": order_id}, operation="OrderUpdates")
        seen = []
        while "COMPLETED" not in seen:
            message = await socket.receive(timeout=20)
            seen.append(message["payload"]["data"]["orderUpdates"]["status"])
    assert seen[-1] == "COMPLETED"
    other = await new_user(world.api.client, f"other-{uuid.uuid4().hex[:6]}@example.com")
    stranger = await shop.run("Order", {"id": order_id}, token=other.access_token)
    assert stranger["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_refund_saga(world: World, payment_provider: StandIn) -> None:
    shop = await open_shop(world, payment_provider.url, stock=4, points=2000)
    order_id = (await shop.buy(2, use_points=500))["data"]["checkout"]["order"]["id"]
    await shop.settled(order_id)
    key = uuid.uuid4().hex
    first = await shop.run(
        "RequestRefund", {"orderId": order_id, "reason": "changed my mind", "idempotencyKey": key}
    )
    again = await shop.run(
        "RequestRefund", {"orderId": order_id, "reason": "changed my mind", "idempotencyKey": key}
    )
    assert not first.get("errors") and not again.get("errors")
    done = await shop.settled(order_id)
    assert (
        done["status"] == "REFUNDED"
        and done["saga"]["kind"] == "REFUND"
        and done["saga"]["state"] == "COMPLETED"
    )
    assert done["payment"]["status"] == "CANCELLED"
    assert [c["status"] for c in await shop.ledger(order_id)] == ["CANCELLED"]
    assert await shop.points() == 2000  # used points returned, earned points taken back
    assert await shop.stock() == 4
    not_paid = await shop.run(
        "RequestRefund",
        {"orderId": order_id, "reason": "again", "idempotencyKey": uuid.uuid4().hex},
    )
    assert not_paid["errors"][0]["extensions"]["code"] == "VALIDATION"


async def test_my_points_and_my_orders(world: World, payment_provider: StandIn) -> None:
    shop = await open_shop(world, payment_provider.url, points=100)
    ids = []
    for _ in range(3):
        ids.append((await shop.buy(1))["data"]["checkout"]["order"]["id"])
    for order_id in ids:
        await shop.settled(order_id)
    points = (await shop.run("MyPoints"))["data"]["myPoints"]
    assert points["balance"] == 100 + 3 * 100
    assert [h["reason"] for h in points["history"]] == ["ACCRUE", "ACCRUE", "ACCRUE", "GRANT"]
    page = (await shop.run("MyOrders", {"first": 2}))["data"]["myOrders"]
    assert [e["node"]["id"] for e in page["edges"]] == ids[::-1][:2]
    assert page["pageInfo"]["hasNextPage"]
    rest = (await shop.run("MyOrders", {"first": 2, "after": page["pageInfo"]["endCursor"]}))[
        "data"
    ]["myOrders"]
    assert [e["node"]["id"] for e in rest["edges"]] == [ids[0]]
    assert rest["edges"][0]["node"]["shipment"]["status"] == "PREPARING"


async def test_withdrawal(world: World, payment_provider: StandIn) -> None:
    shop = await open_shop(world, payment_provider.url, points=700)
    order_id = (await shop.buy(1))["data"]["checkout"]["order"]["id"]
    await shop.settled(order_id)
    await shop.run("AddToCart", {"variantId": shop.variant_id, "quantity": 1})
    withdrawn = (await shop.run("Withdraw", {"reason": "moving abroad"}))["data"]["withdraw"]
    at = datetime.fromisoformat(withdrawn["withdrawnAt"])
    assert datetime.fromisoformat(withdrawn["historyVisibleUntil"]) == at.replace(year=at.year + 1)
    assert await shop.points() == 0
    checkout = {
        "shippingOriginId": ICHEON,
        "shippingAddress": ADDRESS,
        "paymentMethod": "card",
        "idempotencyKey": "w",
    }
    refused = await shop.run("Checkout", {"input": checkout})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = await shop.run("AddToCart", {"variantId": shop.variant_id, "quantity": 1})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await shop.run("MyOrders", {"first": 5}))["data"]["myOrders"]["edges"][0]["node"][
        "id"
    ] == order_id
    # A year and a moment later: invisible, then purged by the scheduled job.
    async with world.api.services.db.transaction() as uow:
        session = uow.session
        await session.execute(
            text(
                "UPDATE identity_user SET withdrawn_at = withdrawn_at - interval '1 year 1 minute' WHERE id = :u"
            ),
            {"u": shop.customer.user_id},
        )
    assert (await shop.run("MyOrders", {"first": 5}))["data"]["myOrders"]["edges"] == []
    assert (await shop.run("Order", {"id": order_id}))["errors"][0]["extensions"][
        "code"
    ] == "NOT_FOUND"
    assert await purge_expired_history(world.api.services.db) == 1
    assert (
        await purge_expired_history(world.api.services.db, datetime.now(UTC) + timedelta(days=1))
        == 0
    )


async def test_hub_stock_transfer_and_hub_checkout(world: World, payment_provider: StandIn) -> None:
    shop = await open_shop(world, payment_provider.url, stock=10)
    owner = await new_user(world.api.client, f"dealer-{uuid.uuid4().hex[:6]}@example.com")
    stranger = await new_user(world.api.client, f"dealer2-{uuid.uuid4().hex[:6]}@example.com")
    operator = await new_user(world.api.client, f"ops-{uuid.uuid4().hex[:6]}@example.com")
    await grant_role(world.api.services, operator.user_id, "admin")
    created = await shop.run(
        "CreateHub",
        {
            "input": {
                "code": "DL-SUWON",
                "type": "DEALER",
                "name": "Suwon Dealer HUB",
                "owner": "Suwon Mobile",
                "location": "Suwon",
            }
        },
        token=operator.access_token,
    )
    hub_id = created["data"]["createHub"]["id"]
    named = await shop.run(
        "AddHubManager", {"hubId": hub_id, "userId": owner.user_id}, token=operator.access_token
    )
    assert not named.get("errors"), named
    for user in (owner, stranger):
        await grant_role(world.api.services, user.user_id, "hub_manager")
    transfer = """mutation($h: ID!, $f: ID!, $v: ID!, $q: Int!, $k: String!) {
        transferStock(hubId: $h, fromOriginId: $f, variantId: $v, quantity: $q, idempotencyKey: $k) { id availableQuantity } }"""
    variables = {"h": hub_id, "f": ICHEON, "v": shop.variant_id, "q": 3, "k": "t1"}
    denied = await world.api.client.post(transfer, variables, token=stranger.access_token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for _ in range(2):  # a replay moves nothing more
        moved = await world.api.client.data(transfer, variables, token=owner.access_token)
    quantities = {o["id"]: o["availableQuantity"] for o in moved["transferStock"]}
    assert (quantities[hub_id], quantities[ICHEON]) == (3, 7)
    assert await shop.stock() == 10  # moving between origins keeps the total
    too_many = await shop.buy(4, origin=hub_id)
    assert too_many["errors"][0]["extensions"]["code"] == "VALIDATION"
    order = (await shop.buy(3, origin=hub_id))["data"]["checkout"]["order"]
    assert order["shipment"]["origin"] == {
        "id": hub_id,
        "kind": "DEALER_HUB",
        "name": "Suwon Dealer HUB",
    }
    assert (await shop.settled(order["id"]))["status"] == "COMPLETED"
