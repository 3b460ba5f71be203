"""Catalog benchmark: the Products contract query (first: 50, with vendor, options, variants
and attributes) over real HTTP with wrk, against baselines measured in the same run:
the same schema with DataLoaders off (naive per-row loading) and a hand-written SQL floor."""

from __future__ import annotations

import asyncio
import json
import sys

import httpx

from auth.rbac import sync_builtin_roles
from bench.harness import Stores, bench_stores, server, table, tessera_server, wrk
from persistence.database import Database
from persistence.demo_catalog import seed_catalog
from stand_ins.process import free_port
from tests.contract.documents import contract_text


async def _prepare(stores: Stores, products: int) -> None:
    db = Database(stores.database_url, pool_size=2, max_overflow=0)
    async with db.transaction() as unit:
        session = unit.session
        await sync_builtin_roles(session)
    await seed_catalog(db, products)
    await db.dispose()


def _same_answers(body: str, urls: list[str]) -> dict:
    answers = [
        httpx.post(
            url + "/graphql",
            content=body,
            headers={"content-type": "application/json"},
            timeout=120,
        ).json()
        for url in urls
    ]
    # `data` must match; tessera's answers also carry `extensions.cost` (API-4), the floor's not.
    if any("errors" in a for a in answers) or any(a["data"] != answers[0]["data"] for a in answers):
        raise SystemExit(
            "every target must answer the same JSON without errors: "
            + " | ".join(json.dumps(a.get("errors"))[:300] for a in answers)
        )
    return answers[0]


def run(products: int = 10_000, seconds: int = 10, connections: int = 16) -> None:
    body = json.dumps(
        {"query": contract_text("catalog"), "operationName": "Products", "variables": {"first": 50}}
    )
    with bench_stores("tessera_bench_catalog") as stores:
        asyncio.run(_prepare(stores, products))
        ports = [free_port() for _ in range(4)]
        floor_cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.floor:app",
            "--port",
            str(ports[3]),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        uncached = {"TESSERA_RESPONSE_CACHE": "0"}
        with (
            tessera_server("cached", stores, ports[0]) as cached,
            tessera_server("executed", stores, ports[1], **uncached) as executed,
            tessera_server(
                "naive", stores, ports[2], **uncached, TESSERA_DATALOADER_BATCHING="0"
            ) as naive,
            server("floor", floor_cmd, {"DATABASE_URL": stores.database_url}, ports[3]) as floor,
        ):
            targets = {
                "tessera, response cache hit": cached,
                "tessera, executed (DataLoaders)": executed,
                "tessera, executed, DataLoaders off": naive,
                "floor: raw SQL + Starlette": floor,
            }
            edges = _same_answers(body, list(targets.values()))["data"]["products"]["edges"]
            variants = sum(len(e["node"]["variants"]) for e in edges)
            print(
                f"{products} products seeded; one response: {len(edges)} products, {variants} variants; "
                f"wrk {connections} connections, {seconds} s per target"
            )
            results = []
            for name, url in targets.items():
                wrk(url + "/graphql", body, connections=connections, seconds=2)  # warm-up
                results.append(
                    (name, wrk(url + "/graphql", body, connections=connections, seconds=seconds))
                )
    print(table(results))
    cached_r, executed_r, naive_r, floor_r = (r for _, r in results)
    speedup = executed_r.requests_per_second / naive_r.requests_per_second
    print(f"DataLoaders vs naive (both executed): {speedup:.1f}x (aim >= 5x)")
    print(
        f"share of the floor: executed {100 * executed_r.requests_per_second / floor_r.requests_per_second:.0f}%, "
        f"response cache {100 * cached_r.requests_per_second / floor_r.requests_per_second:.0f}% (aim >= 40%)"
    )
