"""EXPLAIN ANALYZE of the catalog search queries on the benchmark catalog (for docs/catalog.md).

Run after `make bench` (which leaves the seeded database): `python -m bench.explain`."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from sqlalchemy.dialects import postgresql

from bench.harness import ROOT
from persistence.admin import with_database
from persistence.database import Database
from persistence.embedded import start_embedded
from persistence.repositories import catalog as repo


async def _explain(db: Database) -> None:
    async with db.read() as conn:
        categories = (
            await conn.exec_driver_sql(
                "SELECT id FROM catalog_category WHERE parent_id IS NULL ORDER BY path LIMIT 1"
            )
        ).scalar()
        subtree = tuple(
            r[0]
            for r in await conn.exec_driver_sql(
                f"SELECT id FROM catalog_category WHERE '{categories}' = ANY(lineage)"
            )
        )
        searches = {
            "default page": repo.ProductSearch(),
            "text 'phone'": repo.ProductSearch(text="phone"),
            "category subtree + price range": repo.ProductSearch(
                category_ids=subtree, min_price=Decimal(10000), max_price=Decimal(50000)
            ),
            "attribute brand=Acme": repo.ProductSearch(attributes={"brand": "Acme"}),
            "available only": repo.ProductSearch(available_only=True),
        }
        for title, search in searches.items():
            for kind, query in (
                ("page", repo.search_page(search, None, 51)),
                ("count", repo.search_count(search)),
            ):
                sql = str(
                    query.compile(
                        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
                    )
                )
                plan = (
                    await conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, COSTS OFF, TIMING ON, SUMMARY ON) " + sql
                    )
                ).all()
                print(f"### {title}: {kind}\n```")
                print("\n".join(row[0] for row in plan))
                print("```\n")
        ids = [
            r[0]
            for r in await conn.exec_driver_sql(
                "SELECT id FROM catalog_product ORDER BY seq LIMIT 50"
            )
        ]
        sql = (
            "SELECT * FROM catalog_variant WHERE product_id = ANY(ARRAY["
            + ",".join(f"'{uuid.UUID(str(i))}'::uuid" for i in ids)
            + "]) ORDER BY product_id, position"
        )
        plan = (await conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) " + sql)).all()
        print("### variants of a page (DataLoader batch)\n```")
        print("\n".join(row[0] for row in plan))
        print("```")


def main() -> None:
    stores = start_embedded(ROOT / ".data" / "bench")
    db = Database(
        with_database(stores.database_url, "tessera_bench_catalog"), pool_size=1, max_overflow=0
    )
    try:
        asyncio.run(_explain(db))
    finally:
        stores.close()


if __name__ == "__main__":
    main()
