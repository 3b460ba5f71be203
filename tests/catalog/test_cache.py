"""CAT-9: hot product reads come from the cache; a write is visible at once everywhere."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.settings import Settings
from tests.catalog.world import CATALOG, World, build_world
from tests.client import GraphQLClient
from tests.conftest import Api
from tests.e2e.processes import api_process
from tests.sql_counter import count_statements

CARD = "query($id: ID!) { product(id: $id) { id name price { amount } variants { stock } vendor { name } category { path } } }"


async def _reads_without_sql(world: World, query: str, variables: dict, token: str | None) -> dict:
    await world.api.client.data(query, variables, token=token)
    with count_statements(world.api.services.db.engine) as statements:
        again = await world.api.client.data(query, variables, token=token)
    assert statements == []
    return again


async def test_product_bundle_reads_need_no_sql(quiet: Api, unique_email) -> None:  # type: ignore[no-untyped-def]
    """Signed-in callers skip the response cache; the product bundle cache serves them."""
    world = await build_world(quiet, unique_email)
    product = await world.create_product(options=[])
    await world.launch(product["id"])
    token = world.staff_b.access_token
    again = await _reads_without_sql(world, CARD, {"id": product["id"]}, token)
    assert again["product"]["vendor"]["name"].startswith("Vendor A")
    # A stock change is visible on the next read: the write invalidated the entry.
    await world.stock(product["variants"][0]["id"], 4)
    assert (await world.api.client.data(CARD, {"id": product["id"]}, token=token))["product"][
        "variants"
    ][0]["stock"] == 4


async def test_anonymous_pages_come_from_the_response_cache(quiet: Api, unique_email) -> None:  # type: ignore[no-untyped-def]
    world = await build_world(quiet, unique_email)
    product = await world.create_product(options=[])
    await world.launch(product["id"])
    variables = {"first": 10}
    await world.api.client.data(CATALOG, variables, operation="Products")
    with count_statements(world.api.services.db.engine) as statements:
        page = await world.api.client.data(CATALOG, variables, operation="Products")
    assert statements == []
    assert page["products"]["edges"][0]["node"]["variants"][0]["stock"] == 0
    await world.stock(
        product["variants"][0]["id"], 2
    )  # any catalog write retires every cached page
    page = await world.api.client.data(CATALOG, variables, operation="Products")
    assert page["products"]["edges"][0]["node"]["variants"][0]["stock"] == 2


async def test_write_through_one_process_invalidates_the_other(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    product = await world.create_product(options=[])
    await world.launch(product["id"])
    with (
        api_process(settings, tmp_path / "a.log") as a,
        api_process(settings, tmp_path / "b.log") as b,
    ):
        reader, writer = GraphQLClient(b.base_url), GraphQLClient(a.base_url)
        try:
            assert (await reader.data(CARD, {"id": product["id"]}))["product"]["price"][
                "amount"
            ] == "1000.00"
            redis = world.api.services.redis
            assert await redis.exists(
                f"{settings.redis_namespace}cache:catalog:product:{product['id']}"
            )
            await writer.data(
                CATALOG,
                {
                    "id": product["id"],
                    "price": {"amount": "1234", "currency": "KRW"},
                    "expectedVersion": 3,
                },
                operation="ChangeProductPrice",
                token=world.manager.access_token,
            )
            # B's in-process copy lives 10 s; the broadcast must drop it well before that.
            for _ in range(20):
                price = (await reader.data(CARD, {"id": product["id"]}))["product"]["price"][
                    "amount"
                ]
                if price == "1234.00":
                    break
                await asyncio.sleep(0.05)
            assert price == "1234.00"
        finally:
            await reader.aclose()
            await writer.aclose()
