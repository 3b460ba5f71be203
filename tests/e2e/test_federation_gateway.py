"""API-1 with a real gateway: every subgraph as its own `tessera serve --subgraph NAME`
process, Apollo Gateway (node, `@apollo/gateway`) in front of them with a supergraph that
`@apollo/composition` composed from the SDL they serve, and every contract document
through the gateway. Subscriptions stay on the subgraphs' own WebSocket (docs/federation.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from graphql import build_client_schema, get_introspection_query, parse, validate

from core.settings import Settings
from resolvers.services import Services
from schema import SUBGRAPHS
from server.runtime import running_services
from stand_ins.process import StandIn
from tests.accounts import PASSWORD, grant_role, login, new_user
from tests.catalog.world import World
from tests.client import GraphQLClient, SocketClosed
from tests.conftest import Api, settings_for
from tests.contract.documents import contract_text
from tests.contract.test_reservations_contract import _event, hold, settled
from tests.e2e.gateway.running import Federation, federation
from tests.orders.shop import ORDERS, Shop, open_shop
from tests.reservations.helpers import inventory

if TYPE_CHECKING:  # a class named Test* imported at run time would be collected
    from tests.stores import TestStores

pytestmark = pytest.mark.xdist_group("federation")  # with --dist loadgroup: one start
VERSION = "query($id: ID!) { product(id: $id) { version } }"
SUBSCRIPTIONS = (
    ("identity", "SessionEvents"),
    ("orders", "OrderUpdates"),
    ("reservations", "ReservationTicket"),
    ("reservations", "SeatMap"),
)
ORDER_PRODUCTS = "query($id: ID!) { order(id: $id) { lines { sku product { id name status } } } }"


@pytest.fixture(scope="module")
def gateway(
    stores: TestStores, payment_provider: StandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Federation, Settings]]:
    """Started once for the module: four subgraph processes, one database, one gateway."""
    name = asyncio.run(stores.create_database())
    settings = settings_for(stores, payment_provider, name)
    try:
        with federation(settings, list(SUBGRAPHS), tmp_path_factory.mktemp("federation")) as fed:
            yield fed, settings
    finally:
        asyncio.run(stores.drop_database(name))


class ThroughGateway(Api):
    """The suite's Api, but its client talks to the gateway; services only to set up data."""

    def __init__(self, url: str, services: Services) -> None:
        super().__init__(url, None, GraphQLClient(url))  # type: ignore[arg-type]
        self._services = services

    @property
    def services(self) -> Services:
        return self._services


@pytest.fixture
async def api(gateway: tuple[Federation, Settings]) -> AsyncIterator[ThroughGateway]:
    fed, settings = gateway
    async with running_services(settings) as services:
        through = ThroughGateway(fed.gateway_url.rstrip("/"), services)
        yield through
        await through.client.aclose()


@pytest.fixture
async def shop(world: World, payment_provider: StandIn) -> Shop:
    return await open_shop(world, payment_provider.url, stock=10, points=1000)


def ok(result: dict) -> dict:
    assert not result.get("errors"), result
    return result["data"]


async def test_every_contract_document_validates_against_the_gateway(
    api: ThroughGateway, gateway: tuple[Federation, Settings]
) -> None:
    fed, _ = gateway
    for name in SUBGRAPHS:
        assert f'@join__graph(name: "{name}", url: "{fed.subgraph_url(name)}/graphql")' in (
            fed.supergraph
        )
    # Composed directives: the supergraph keeps who may call what.
    assert '@requiresPermission(permission: "identity.roles.manage")' in fed.supergraph
    schema = build_client_schema(ok(await api.client.post(get_introspection_query())))
    for domain in SUBGRAPHS:
        assert validate(schema, parse(contract_text(domain))) == [], domain


async def test_identity_through_the_gateway(api: ThroughGateway, unique_email) -> None:
    doc, client = contract_text("identity"), api.client
    email = unique_email()
    signed = ok(await client.post(doc, {"input": _sign_up(email)}, operation="SignUp"))
    user_id = signed["signUp"]["user"]["id"]
    logged = ok(await client.post(doc, {"input": _login(email)}, operation="Login"))["login"]
    token = logged["accessToken"]
    # The gateway forwards Authorization: the identity subgraph sees the caller.
    me = ok(await client.post(doc, operation="Me", token=token))["me"]
    assert (me["id"], me["email"]) == (user_id, email)
    refreshed = ok(
        await client.post(doc, {"refreshToken": logged["refreshToken"]}, operation="RefreshSession")
    )["refreshSession"]
    token = refreshed["accessToken"]
    admin = await new_user(client, unique_email("admin"))
    await grant_role(api.services, admin.user_id, "admin")
    assigned = ok(
        await client.post(
            doc,
            {"userId": user_id, "role": "support"},
            operation="AssignRole",
            token=admin.access_token,
        )
    )
    assert {"name": "support"} in assigned["assignRole"]["roles"]
    assert ok(await client.post(doc, operation="Logout", token=token))["logout"] is True
    gone = await client.post(doc, operation="Me", token=token)
    assert gone["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_accept_language_reaches_the_subgraph(
    api: ThroughGateway, gateway: tuple[Federation, Settings]
) -> None:
    fed, _ = gateway
    doc = contract_text("identity")
    direct = GraphQLClient(fed.subgraph_url("identity"))
    try:
        messages = {}
        for lang in ("ko", "en"):
            headers = {"accept-language": lang}
            through = await api.client.post(doc, operation="Me", headers=headers)
            itself = await direct.post(doc, operation="Me", headers=headers)
            assert through["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert through["errors"][0]["message"] == itself["errors"][0]["message"]
            messages[lang] = through["errors"][0]["message"]
        assert messages["ko"] != messages["en"]
    finally:
        await direct.aclose()


async def test_catalog_through_the_gateway(world: World) -> None:
    product = await world.create_product()
    await world.launch(product["id"])
    variant = product["variants"][0]["id"]
    adjusted = ok(await world.stock(variant, 5))["adjustStock"]["variant"]
    assert adjusted["stock"] == 5
    token = world.manager.access_token
    detail = ok(await world.run("Product", {"id": product["id"]}, token))["product"]
    assert detail["lifecycle"][-1]["to"] == "LAUNCHED"
    version = ok(await world.api.client.post(VERSION, {"id": product["id"]}))["product"]
    price = {"amount": "1200.00", "currency": "KRW"}
    changed = ok(
        await world.run(
            "ChangeProductPrice",
            {"id": product["id"], "price": price, "expectedVersion": version["version"]},
            token,
        )
    )
    assert changed["changeProductPrice"]["product"]["price"] == price
    page = ok(await world.run("Products", {"first": 5, "filter": {"vendorId": world.vendor_a}}))[
        "products"
    ]
    assert [edge["node"]["id"] for edge in page["edges"]] == [product["id"]]
    categories = ok(await world.run("Categories"))["categories"]
    assert world.phones in {c["id"] for c in categories}
    ledger = ok(await world.run("StockLedger", {"productId": product["id"], "first": 5}, token))[
        "stockLedger"
    ]
    assert ledger["edges"][0]["node"]["delta"] == 5
    draft = await world.create_product(name="Draft only")
    moved = ok(await world.run("TransitionProduct", {"id": draft["id"], "to": "IN_REVIEW"}, token))
    assert moved["transitionProduct"]["product"]["status"] == "IN_REVIEW"


async def test_orders_cross_into_the_catalog_through_entities(
    shop: Shop, gateway: tuple[Federation, Settings]
) -> None:
    fed, _ = gateway
    cart = ok(await shop.run("AddToCart", {"variantId": shop.variant_id, "quantity": 2}))
    assert ok(await shop.run("MyCart"))["myCart"] == cart["addToCart"]["cart"]
    origins = ok(await shop.run("ShippingOrigins", {"variantId": shop.variant_id}))
    assert origins["shippingOrigins"]
    placed = ok(await shop.buy(1, use_points=100))["checkout"]["order"]
    done = await shop.settled(placed["id"])
    assert (done["status"], done["saga"]["state"]) == ("COMPLETED", "COMPLETED")
    pushed = await _first_event(
        fed, "orders", ORDERS, "OrderUpdates", {"orderId": placed["id"]}, shop.customer.access_token
    )
    assert pushed["orderUpdates"] == {"id": placed["id"], "status": "COMPLETED"}
    # OrderLine.product: orders holds the key, the catalog subgraph the rest (_entities).
    token = shop.customer.access_token
    crossing = await shop.world.api.client.post(ORDER_PRODUCTS, {"id": placed["id"]}, token=token)
    assert ok(crossing)["order"]["lines"][0]["product"] == {
        "id": shop.product_id,
        "name": "Galaxy Nine",
        "status": "LAUNCHED",
    }
    alone = GraphQLClient(fed.subgraph_url("orders"))  # the orders subgraph knows only the key
    try:
        refused = await alone.post(ORDER_PRODUCTS, {"id": placed["id"]}, token=token)
        assert "Cannot query field 'name' on type 'Product'" in refused["errors"][0]["message"]
    finally:
        await alone.aclose()
    for operation in ("Order", "OrderLines"):
        assert ok(await shop.run(operation, {"id": placed["id"]}))["order"]["id"] == placed["id"]
    history = ok(await shop.run("PurchaseHistory", {"first": 5}))["myOrders"]["edges"]
    assert history[0]["node"]["lines"][0]["productId"] == shop.product_id
    assert ok(await shop.run("MyOrders", {"first": 5}))["myOrders"]["edges"]
    assert await shop.points() > 0
    refund = ok(
        await shop.run(
            "RequestRefund",
            {"orderId": placed["id"], "reason": "changed my mind", "idempotencyKey": "r1"},
        )
    )
    assert refund["requestRefund"]["order"]["id"] == placed["id"]
    assert (await shop.settled(placed["id"]))["status"] == "REFUNDED"
    withdrawn = ok(await shop.run("Withdraw", {"reason": "moving abroad"}))["withdraw"]
    assert withdrawn["withdrawnAt"] and withdrawn["historyVisibleUntil"]


async def test_hubs_through_the_gateway(api: ThroughGateway, unique_email) -> None:
    operator = await new_user(api.client, unique_email("operator"))
    manager = await new_user(api.client, unique_email("manager"))
    await grant_role(api.services, operator.user_id, "admin")
    await grant_role(api.services, manager.user_id, "hub_manager")

    async def run(operation: str, variables: dict, token: str = operator.access_token) -> dict:
        return ok(await api.client.post(ORDERS, variables, operation=operation, token=token))

    code = f"ORG-{uuid.uuid4().hex[:6].upper()}"
    hub = (await run("CreateHub", {"input": _hub(code)}))["createHub"]
    assert hub["code"] == code
    added = await run("AddHubManager", {"hubId": hub["id"], "userId": manager.user_id})
    assert added["addHubManager"]["managers"][0]["userId"] == manager.user_id
    mine = await run("MyHubs", {"first": 5}, manager.access_token)
    assert [e["node"]["code"] for e in mine["myHubs"]["edges"]] == [code]
    every = await run("Hubs", {"first": 100})
    assert code in {e["node"]["code"] for e in every["hubs"]["edges"]}
    removed = await run("RemoveHubManager", {"hubId": hub["id"], "userId": manager.user_id})
    assert removed["removeHubManager"]["managers"] == []


async def test_reservations_through_the_gateway(
    api: ThroughGateway, gateway: tuple[Federation, Settings], unique_email
) -> None:
    fed, _ = gateway
    doc, client = contract_text("reservations"), api.client
    user = await new_user(client, unique_email())
    token = user.access_token

    async def run(operation: str, variables: dict) -> dict:
        return ok(await client.post(doc, variables, operation=operation, token=token))

    stock = await inventory(api.services, 3)
    placed = await run(
        "RequestReservation",
        {"input": {"inventoryId": str(stock), "quantity": 1, "idempotencyKey": "g1"}},
    )
    ticket = await settled(client, placed["requestReservation"]["ticket"]["id"], token)
    assert ticket["state"] == "CONFIRMED"
    pushed = await _first_event(
        fed, "reservations", doc, "ReservationTicket", {"id": ticket["id"]}, token
    )
    assert pushed["reservationTicket"]["state"] == "CONFIRMED"
    reservation = ticket["reservation"]["id"]
    mine = await run("MyReservations", {"first": 5})
    assert reservation in {e["node"]["id"] for e in mine["myReservations"]["edges"]}
    cancelled = await run("CancelReservation", {"id": reservation, "idempotencyKey": "c1"})
    assert cancelled["cancelReservation"]["ticket"]["id"]
    event_id, seats = await _event(api, opens=-timedelta(minutes=1), closes=timedelta(hours=1))
    event = await run("Event", {"id": event_id})
    assert event["event"]["state"] == "OPEN" and len(event["event"]["seats"]) == 4
    held = await hold(client, event_id, seats[:2], token, "h1")
    assert held["state"] == "CONFIRMED"
    paid = await run(
        "PayReservation",
        {
            "reservationId": held["reservation"]["id"],
            "paymentMethod": "card",
            "idempotencyKey": "p1",
        },
    )
    assert paid["payReservation"]["reservation"]["id"] == held["reservation"]["id"]


async def test_subscriptions_stay_on_the_subgraphs_socket(
    api: ThroughGateway, gateway: tuple[Federation, Settings], unique_email
) -> None:
    """Apollo Gateway serves queries and mutations only; a client subscribes on the socket
    of the subgraph that owns the field, with the token it got through the gateway (see
    also OrderUpdates and ReservationTicket in the tests above)."""
    fed, _ = gateway
    email = unique_email()
    phone = await new_user(api.client, email, device="phone")
    for domain, operation in SUBSCRIPTIONS:
        refused = await api.client.post(
            contract_text(domain),
            {"orderId": "x", "id": "x", "eventId": "x"},
            operation=operation,
            token=phone.access_token,
        )
        assert refused["errors"][0]["extensions"] == {
            "code": "VALIDATION",
            "reason": "SUBSCRIBE_ON_SUBGRAPH",
        }, operation
    identity = GraphQLClient(fed.subgraph_url("identity"))
    try:
        async with identity.socket(phone.access_token) as socket:
            await socket.subscribe(contract_text("identity"), operation="SessionEvents")
            await login(api.client, email, device="laptop")  # through the gateway
            # The event and its completion if the subscription listened in time; the close
            # with the same reason in any case.
            with contextlib.suppress(SocketClosed):
                received = await socket.receive()
                assert received["payload"].get("data"), received
                event = received["payload"]["data"]["sessionEvents"]
                assert event["kind"] == "SESSION_REPLACED"
                assert (await socket.receive())["type"] == "complete"
            assert (await socket.closed()).reason == "SESSION_REPLACED"
    finally:
        await identity.aclose()


async def _first_event(
    fed: Federation, subgraph: str, doc: str, operation: str, variables: dict, token: str
) -> dict:
    """The first event of a subscription on the subgraph's own socket (the current state:
    these subscriptions read after subscribing)."""
    client = GraphQLClient(fed.subgraph_url(subgraph))
    try:
        async with client.socket(token) as socket:
            await socket.subscribe(doc, variables, operation=operation)
            return (await socket.receive(timeout=20))["payload"]["data"]
    finally:
        await client.aclose()


def _sign_up(email: str) -> dict:
    return {"email": email, "password": PASSWORD, "displayName": "Gate Way"}


def _login(email: str) -> dict:
    return {"email": email, "password": PASSWORD, "deviceId": "gw", "deviceName": "gw"}


def _hub(code: str) -> dict:
    return {
        "code": code,
        "type": "ORG",
        "name": f"Gateway HUB {code}",
        "owner": "Ops",
        "location": "Seoul",
    }
