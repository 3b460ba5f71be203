"""CAT-9: hot product reads come from the cache; a write is visible at once everywhere."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.settings import Settings
from tests.catalog.world import CATALOG, World
from tests.client import GraphQLClient
from tests.e2e.processes import api_process
from tests.sql_counter import count_statements

CARD = "query($id: ID!) { product(id: $id) { id name price { amount } variants { stock } vendor { name } category { path } } }"


async def test_second_read_of_a_product_needs_no_sql(world: World) -> None:
    product = await world.create_product(options=[])
    await world.launch(product["id"])
    client = world.api.client
    await client.data(CARD, {"id": product["id"]})
    with count_statements(world.api.services.db.engine) as statements:
        again = await client.data(CARD, {"id": product["id"]})
    assert [s for s in statements if "outbox_event" not in s] == []
    assert again["product"]["vendor"]["name"].startswith("Vendor A")
    # A stock change is visible on the next read: the write invalidated the entry.
    await world.stock(product["variants"][0]["id"], 4)
    assert (await client.data(CARD, {"id": product["id"]}))["product"]["variants"][0]["stock"] == 4


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
