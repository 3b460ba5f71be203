"""The inventory ledger (CAT-1, CAT-8) through ../shared/contract/catalog.graphql: who, when,
why and how much, newest first with cursor pagination, for catalog managers and the owning
vendor's staff only."""

from __future__ import annotations

import uuid

from tests.accounts import grant_role, new_user
from tests.catalog.world import World
from tests.orders.shop import ICHEON


async def _ledger(world: World, token: str, **variables: object) -> dict:
    result = await world.run("StockLedger", {"first": 20, **variables}, token)
    assert not result.get("errors"), result
    return result["data"]["stockLedger"]


async def test_ledger_reads_who_when_why_and_delta_page_by_page(world: World) -> None:
    product = await world.create_product()
    black, white = product["variants"][0]["id"], product["variants"][2]["id"]
    assert not (await world.stock(black, 5)).get("errors")  # by the catalog manager
    assert not (await world.stock(white, 7)).get("errors")
    by_staff = await world.stock(black, -2, token=world.staff_a.access_token)  # own vendor
    assert not by_staff.get("errors"), by_staff

    page = await _ledger(world, world.manager.access_token, productId=product["id"], first=2)
    nodes = [edge["node"] for edge in page["edges"]]
    assert [(n["variantId"], n["delta"], n["stockAfter"]) for n in nodes] == [
        (black, -2, 3),
        (white, 7, 7),
    ]
    newest = nodes[0]
    assert newest["actorId"] == world.staff_a.user_id and newest["reason"] == "test"
    assert newest["originId"] == ICHEON and newest["sku"] == product["variants"][0]["sku"]
    assert newest["at"] >= nodes[1]["at"]
    assert page["pageInfo"] == {"hasNextPage": True, "endCursor": page["edges"][-1]["cursor"]}
    rest = await _ledger(
        world,
        world.manager.access_token,
        productId=product["id"],
        after=page["pageInfo"]["endCursor"],
    )
    assert [(n["node"]["delta"], n["node"]["actorId"]) for n in rest["edges"]] == [
        (5, world.manager.user_id)
    ]
    assert not rest["pageInfo"]["hasNextPage"]
    # One variant only; the owning vendor's staff read it as well.
    only_black = await _ledger(
        world, world.staff_a.access_token, productId=product["id"], variantId=black
    )
    assert [e["node"]["delta"] for e in only_black["edges"]] == [-2, 5]


async def test_ledger_is_refused_to_everyone_else(world: World) -> None:
    product = await world.create_product()
    assert not (await world.stock(product["variants"][0]["id"], 5)).get("errors")
    customer = await new_user(world.api.client, f"c-{uuid.uuid4().hex[:6]}@example.com")
    hub_manager = await new_user(world.api.client, f"h-{uuid.uuid4().hex[:6]}@example.com")
    await grant_role(world.api.services, hub_manager.user_id, "hub_manager")
    ask = {"productId": product["id"], "first": 5}
    other_vendor = await world.run("StockLedger", ask, world.staff_b.access_token)
    assert other_vendor["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert other_vendor["errors"][0]["extensions"]["reason"] == "NOT_YOUR_VENDOR"
    for token in (customer.access_token, hub_manager.access_token):
        refused = await world.run("StockLedger", ask, token)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert refused["data"] is None
    anonymous = await world.run("StockLedger", ask)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for unknown in (str(uuid.uuid4()), "not-an-id"):
        missing = await world.run(
            "StockLedger", {**ask, "productId": unknown}, world.manager.access_token
        )
        assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND", unknown
        assert missing["errors"][0]["extensions"]["field"] == "productId"
    for cursor in ("garbage", "WyJ4Il0="):  # not base64 JSON; a JSON list of the wrong kind
        bad = await world.run("StockLedger", {**ask, "after": cursor}, world.manager.access_token)
        assert bad["errors"][0]["extensions"]["code"] == "VALIDATION", cursor
    too_many = await world.run("StockLedger", {**ask, "first": 101}, world.manager.access_token)
    assert too_many["errors"][0]["extensions"]["field"] == "first"
