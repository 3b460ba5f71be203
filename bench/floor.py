"""The floor for the catalog benchmark: a plain Starlette route answering the Products
query's JSON from hand-written SQL (asyncpg, no ORM, no GraphQL)."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from persistence.admin import asyncpg_dsn
from schema.pagination import encode_cursor

PAGE = """
SELECT p.id, p.seq, p.name, p.sale_type, p.status, p.price_amount, p.currency, p.attributes,
       c.id AS category_id, c.name AS category_name, c.path AS category_path,
       v.id AS vendor_id, v.name AS vendor_name
FROM catalog_product p
JOIN catalog_category c ON c.id = p.category_id
JOIN catalog_vendor v ON v.id = p.vendor_id
WHERE p.status IN ('LAUNCHED', 'SOLD_OUT')
ORDER BY p.seq
LIMIT $1
"""
COUNT = "SELECT count(*) FROM catalog_product WHERE status IN ('LAUNCHED', 'SOLD_OUT')"
OPTIONS = """
SELECT g.product_id, g.id, g.name, o.id AS value_id, o.value, o.extra_price
FROM catalog_option_group g JOIN catalog_option_value o ON o.group_id = g.id
WHERE g.product_id = ANY($1::uuid[])
ORDER BY g.product_id, g.position, o.position
"""
VARIANTS = """
SELECT id, product_id, sku, option_value_ids, extra_price, stock, on_sale
FROM catalog_variant WHERE product_id = ANY($1::uuid[]) ORDER BY product_id, position
"""


def _money(amount: Any, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currency": currency}


def _attribute_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


async def products(request: Request) -> Response:
    body = await request.json()
    first = int(body["variables"]["first"])
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        rows = await conn.fetch(PAGE, first + 1)
        total = await conn.fetchval(COUNT)
        page = rows[:first]
        ids = [row["id"] for row in page]
        option_rows = await conn.fetch(OPTIONS, ids)
        variant_rows = await conn.fetch(VARIANTS, ids)
    groups: dict[Any, dict[Any, dict[str, Any]]] = defaultdict(dict)
    value_names: dict[Any, str] = {}
    for row in option_rows:
        group = groups[row["product_id"]].setdefault(row["id"], {"name": row["name"], "values": []})
        group["values"].append((row["value"], row["extra_price"]))
        value_names[row["value_id"]] = row["value"]
    variants: dict[Any, list[Any]] = defaultdict(list)
    for row in variant_rows:
        variants[row["product_id"]].append(row)
    edges = []
    for row in page:
        currency = row["currency"]
        launched = row["status"] == "LAUNCHED"
        attributes = json.loads(row["attributes"])
        edges.append(
            {
                "cursor": encode_cursor(row["seq"]),
                "node": {
                    "id": str(row["id"]),
                    "name": row["name"],
                    "saleType": row["sale_type"],
                    "status": row["status"],
                    "price": _money(row["price_amount"], currency),
                    "category": {
                        "id": str(row["category_id"]),
                        "name": row["category_name"],
                        "path": row["category_path"],
                    },
                    "vendor": {"id": str(row["vendor_id"]), "name": row["vendor_name"]},
                    "attributes": [
                        {"key": k, "value": _attribute_text(v)}
                        for k, v in sorted(attributes.items())
                    ],
                    "options": [
                        {
                            "name": g["name"],
                            "values": [
                                {"value": v, "extraPrice": _money(extra, currency)}
                                for v, extra in g["values"]
                            ],
                        }
                        for g in groups[row["id"]].values()
                    ],
                    "variants": [
                        {
                            "id": str(v["id"]),
                            "sku": v["sku"],
                            "optionValues": [value_names[i] for i in v["option_value_ids"]],
                            "price": _money(row["price_amount"] + v["extra_price"], currency),
                            "stock": v["stock"],
                            "available": launched and v["on_sale"] and v["stock"] > 0,
                        }
                        for v in variants[row["id"]]
                    ],
                },
            }
        )
    data = {
        "products": {
            "totalCount": total,
            "pageInfo": {
                "hasNextPage": len(rows) > first,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
            "edges": edges,
        }
    }
    return Response(json.dumps({"data": data}), media_type="application/json")


async def _lifespan(app: Starlette):  # type: ignore[no-untyped-def]
    app.state.pool = await asyncpg.create_pool(
        min_size=4, max_size=20, **asyncpg_dsn(os.environ["DATABASE_URL"])
    )
    yield
    await app.state.pool.close()


app = Starlette(routes=[Route("/graphql", products, methods=["POST"])], lifespan=_lifespan)
