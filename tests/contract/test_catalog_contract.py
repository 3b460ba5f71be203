"""../shared/contract/catalog.graphql: every operation is exercised (most in tests/catalog)."""

from __future__ import annotations

from tests.catalog.world import World
from tests.contract.documents import operation_names


def test_every_operation_is_exercised() -> None:
    # Products/Product: test_search, test_products; CreateProduct, ChangeProductPrice,
    # TransitionProduct, AdjustStock: test_products (all through the contract document).
    assert set(operation_names("catalog")) == {
        "Products",
        "Product",
        "Categories",
        "CreateProduct",
        "ChangeProductPrice",
        "TransitionProduct",
        "AdjustStock",
        "StockLedger",  # test_stock_ledger_contract.py
    }


async def test_categories(world: World) -> None:
    categories = {c["path"]: c for c in (await world.run("Categories"))["data"]["categories"]}
    assert set(categories) == {"Electronics", "Electronics/Phones", "Books"}
    phones = categories["Electronics/Phones"]
    assert phones["parent"] == {"id": world.electronics}
    assert {d["key"]: d["type"] for d in phones["attributeDefinitions"]} == {
        "brand": "STRING",
        "screen_inches": "NUMBER",
        "wireless": "BOOLEAN",
    }
    assert categories["Books"]["parent"] is None


async def test_product_card_fields(world: World) -> None:
    product = await world.create_product()
    await world.launch(product["id"])
    detail = (await world.run("Product", {"id": product["id"]}))["data"]["product"]
    assert detail["saleType"] == "REALTIME" and detail["status"] == "LAUNCHED"
    assert detail["options"][1] == {
        "name": "Storage",
        "values": [
            {"value": "128GB", "extraPrice": {"amount": "0.00", "currency": "KRW"}},
            {"value": "256GB", "extraPrice": {"amount": "100.00", "currency": "KRW"}},
        ],
    }
    assert detail["description"] == "A phone"
    assert detail["substitutes"] == []  # nothing else in stock in this category


async def test_product_and_vendor_are_federation_entities(world: World) -> None:
    product = await world.create_product(options=[])
    draft = await world.create_product(name="Hidden", options=[])
    await world.launch(product["id"])
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Product { id name price { amount } } ... on Vendor { id name } } }"""
    representations = [
        {"__typename": "Product", "id": product["id"]},
        {"__typename": "Product", "id": draft["id"]},  # not public: hidden from anonymous callers
        {"__typename": "Vendor", "id": world.vendor_a},
    ]
    entities = (await world.api.client.data(query, {"r": representations}))["_entities"]
    assert entities[0] == {
        "id": product["id"],
        "name": "Galaxy Nine",
        "price": {"amount": "1000.00"},
    }
    assert entities[1] is None
    assert entities[2]["id"] == world.vendor_a
