"""CAT-7 search and filters with keyset pagination; API-2 constant statement count."""

from __future__ import annotations

from persistence.demo_catalog import seed_catalog
from tests.catalog.world import World
from tests.conftest import Api
from tests.contract.documents import contract_text
from tests.sql_counter import count_statements


async def _launched(
    world: World, name: str, *, price: str = "1000", stock: int = 0, **overrides
) -> dict:
    product = await world.create_product(
        name=name,
        description=f"{name}, for sale",
        options=[],
        price={"amount": price, "currency": "KRW"},
        **overrides,
    )
    await world.launch(product["id"])
    if stock:
        await world.stock(product["variants"][0]["id"], stock)
    return product


async def _names(world: World, filter_: dict, first: int = 50) -> list[str]:
    result = await world.run("Products", {"first": first, "filter": filter_})
    assert not result.get("errors"), result
    return sorted(edge["node"]["name"] for edge in result["data"]["products"]["edges"])


async def test_filters(world: World) -> None:
    await _launched(
        world, "Acme phone", price="500", stock=2, attributes=[{"key": "brand", "value": "Acme"}]
    )
    await _launched(
        world,
        "Zen phone",
        price="1500",
        attributes=[{"key": "brand", "value": "Zen"}, {"key": "wireless", "value": "true"}],
    )
    await _launched(
        world,
        "Big book",
        price="3000",
        stock=1,
        categoryId=world.books,
        attributes=[{"key": "pages", "value": "900"}],
    )
    await _launched(
        world, "Vendor B phone", price="2000", stock=1, vendorId=world.vendor_b, attributes=[]
    )
    await world.create_product(name="Draft phone", options=[])  # never public
    assert await _names(world, {}) == ["Acme phone", "Big book", "Vendor B phone", "Zen phone"]
    assert await _names(world, {"text": "phone"}) == ["Acme phone", "Vendor B phone", "Zen phone"]
    assert await _names(world, {"text": "BOOK"}) == ["Big book"]
    assert await _names(world, {"categoryId": world.electronics}) == [
        "Acme phone",
        "Vendor B phone",
        "Zen phone",
    ]
    assert await _names(world, {"vendorId": world.vendor_b}) == ["Vendor B phone"]
    assert await _names(world, {"minPrice": "1000", "maxPrice": "2500"}) == [
        "Vendor B phone",
        "Zen phone",
    ]
    assert await _names(world, {"attributes": [{"key": "brand", "equals": "Acme"}]}) == [
        "Acme phone"
    ]
    assert await _names(world, {"attributes": [{"key": "wireless", "equals": "true"}]}) == [
        "Zen phone"
    ]
    assert await _names(world, {"attributes": [{"key": "pages", "equals": "900"}]}) == ["Big book"]
    assert await _names(world, {"availableOnly": True}) == [
        "Acme phone",
        "Big book",
        "Vendor B phone",
    ]
    assert await _names(
        world, {"availableOnly": True, "categoryId": world.electronics, "maxPrice": "1000"}
    ) == ["Acme phone"]


async def test_bad_filters_name_the_field(world: World) -> None:
    cases = {
        ("VALIDATION", "attributes.colour"): {
            "filter": {"attributes": [{"key": "colour", "equals": "x"}]}
        },
        ("VALIDATION", "attributes.pages"): {
            "filter": {"attributes": [{"key": "pages", "equals": "many"}]}
        },
        ("VALIDATION", "filter.minPrice"): {"filter": {"minPrice": "-1"}},
        ("NOT_FOUND", "filter.categoryId"): {
            "filter": {"categoryId": "0d4c2f3a-0000-4000-8000-000000000000"}
        },
        ("VALIDATION", "first"): {"first": 101},
        ("VALIDATION", "after"): {"after": "bm90LWEtY3Vyc29y"},
    }
    for (expected_code, field), variables in cases.items():
        result = await world.run("Products", {"first": 10, **variables})
        error = result["errors"][0]["extensions"]
        assert (error["code"], error.get("field")) == (expected_code, field), result


async def test_pagination_walks_everything_once_with_a_correct_total(world: World) -> None:
    for n in range(7):
        await _launched(world, f"Phone {n}", stock=1)
    seen, after, totals = [], None, set()
    while True:
        page = (
            await world.run("Products", {"first": 3, "after": after, "filter": {"text": "phone"}})
        )["data"]["products"]
        totals.add(page["totalCount"])
        seen += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(f"Phone {n}" for n in range(7))
    assert totals == {7}


async def test_products_page_of_10_and_100_cost_the_same_statements(quiet: Api) -> None:
    await seed_catalog(quiet.services.db, 300)
    document = contract_text("catalog")
    await quiet.client.data(
        document, {"first": 1}, operation="Products"
    )  # warms the category cache
    counts = {}
    for first in (10, 100):
        with count_statements(quiet.services.db.engine) as statements:
            data = await quiet.client.data(document, {"first": first}, operation="Products")
        assert len(data["products"]["edges"]) == first
        assert all(len(edge["node"]["variants"]) == 18 for edge in data["products"]["edges"])
        counts[first] = [s.split()[0:4] for s in statements]
    # page, totalCount, option groups with values, variants (categories and vendors: cache)
    assert len(counts[10]) == len(counts[100]) == 4, counts
