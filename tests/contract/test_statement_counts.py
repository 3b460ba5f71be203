"""API-2, generated: every list a client can ask for costs the same SQL statements and pool
checkouts for 10 items as for 100, every selectable field selected (Saleor's `count_queries`).

The operations come from the contract documents (their variables and root arguments kept, the
selection replaced by everything the schema offers, see selections.py) and from the gateway's
`_entities` for every federation entity. A contract query without a row here, a new entity
without a seeder, or a new field that queries per item fails this suite.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, OperationType, parse
from sqlalchemy import select

from persistence.models.catalog import Product
from schema import build_schema
from tests.conftest import Api
from tests.contract import seeds
from tests.contract.documents import ADDITIONS_DIR, DOCUMENTS_DIR
from tests.contract.selections import entities_operation, entity_types, generated_operation
from tests.sql_counter import count_checkouts, count_statements

SIZES = (10, 100)

# contract query operation -> (seeder, path of the list whose length is the seeded count)
LISTS: dict[str, tuple[seeds.Seeder, str]] = {
    "MyOrders": (seeds.my_orders, "myOrders.edges"),
    "PurchaseHistory": (seeds.my_orders, "myOrders.edges"),
    "Hubs": (seeds.hubs, "hubs.edges"),
    "MyHubs": (seeds.my_hubs, "myHubs.edges"),
    "StockLedger": (seeds.stock_ledger, "stockLedger.edges"),
    "MyCart": (seeds.my_cart, "myCart.lines"),
    "MyPoints": (seeds.my_points, "myPoints.history"),
    "ShippingOrigins": (seeds.shipping_origins, "shippingOrigins"),
    "MyReservations": (seeds.my_reservations, "myReservations.edges"),
    "Event": (seeds.event, "event.seats"),
    "Products": (seeds.products, "products.edges"),
    "Categories": (seeds.categories, "categories"),
}
# contract query operations that answer one item, with why their lists cannot grow
SINGLE_ITEMS = {
    "Order": "one order; its saga has the fixed steps of its definition",
    "OrderLines": "one order; lines of many orders are covered by PurchaseHistory",
    "Product": "one product; its pages of variants are covered by Products",
    "ReservationTicketState": "one ticket",
    "Me": "the caller; roles and permissions are covered by tests/identity/test_dataloaders.py",
}
ENTITIES: dict[str, seeds.Seeder] = {
    "Product": seeds.product_entities,
    "User": seeds.user_entities,
    "Vendor": seeds.vendor_entities,
}


@cache
def _schema() -> GraphQLSchema:
    return build_schema()._schema


def _contract_queries() -> dict[str, str]:
    """Every query operation of the contract documents -> the document's text."""
    found = {}
    for path in sorted([*DOCUMENTS_DIR.glob("*.graphql"), *ADDITIONS_DIR.glob("*.graphql")]):
        text = path.read_text()
        for definition in parse(text).definitions:
            if (
                isinstance(definition, OperationDefinitionNode)
                and definition.operation == OperationType.QUERY
                and definition.name
            ):
                found[definition.name.value] = text
    return found


def test_every_contract_query_and_entity_is_counted() -> None:
    queries = set(_contract_queries())
    assert queries == set(LISTS) | set(SINGLE_ITEMS), (
        "classify each contract query: a seeder in LISTS, or a reason in SINGLE_ITEMS",
        queries ^ (set(LISTS) | set(SINGLE_ITEMS)),
    )
    assert set(entity_types(_schema())) == set(ENTITIES)


def _at(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data[key]
    return data


async def _cold_caches(api: Api) -> None:
    """Drop every catalog cache entry (here, in Redis and the response cache's generation)."""
    async with api.services.db.read() as conn:
        product_ids = list(await conn.scalars(select(Product.id)))
    cache = api.services.catalog_cache
    await cache.invalidate_products(*product_ids)
    await cache.invalidate_categories()
    await cache.invalidate_vendors()


async def _measure(
    api: Api, query: str, call: seeds.Call, items: str, size: int
) -> tuple[int, int]:
    """(SQL statements, pool checkouts) of one request answering `size` items."""
    engine = api.services.db.engine
    with count_statements(engine) as statements, count_checkouts(engine) as checkouts:
        result = await api.client.post(query, call.variables, token=call.token)
    assert not result.get("errors"), result["errors"]
    found = _at(result["data"], items)
    assert len(found) == size and all(found), (size, json.dumps(found)[:300])
    return len(statements), len(checkouts)


async def _counts(
    api: Api, query: str, seeder: seeds.Seeder, items: str
) -> dict[str, tuple[int, int]]:
    """(statements, checkouts) per size, with cold caches and again with warm ones."""
    counts = {}
    for size in SIZES:
        call = await seeder(api, size)
        await _cold_caches(api)
        counts[f"cold {size}"] = await _measure(api, query, call, items, size)
        counts[f"warm {size}"] = await _measure(api, query, call, items, size)
    return counts


def _same_for_every_size(counts: dict[str, tuple[int, int]]) -> bool:
    return all(counts[f"{state} 10"] == counts[f"{state} 100"] for state in ("cold", "warm"))


@pytest.mark.parametrize("operation", sorted(LISTS))
async def test_contract_list_costs_the_same_for_10_and_100_items(
    quiet: Api, operation: str
) -> None:
    seeder, items = LISTS[operation]
    query = generated_operation(_schema(), _contract_queries()[operation], operation)
    counts = await _counts(quiet, query, seeder, items)
    print(f"(statements, checkouts) {operation}: {counts}")
    assert _same_for_every_size(counts), (operation, counts)


@pytest.mark.parametrize("entity", sorted(ENTITIES))
async def test_entities_cost_the_same_for_10_and_100_representations(
    quiet: Api, entity: str
) -> None:
    query = entities_operation(_schema(), entity)
    counts = await _counts(quiet, query, ENTITIES[entity], "_entities")
    print(f"(statements, checkouts) _entities {entity}: {counts}")
    assert _same_for_every_size(counts), (entity, counts)
