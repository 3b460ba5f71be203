"""A realistic generated catalog for demos and benchmarks (`seed-demo --catalog-size N`).

Rows are written with PostgreSQL COPY, so 10,000 products with 18 variants
each take seconds. The generator is seeded: the same size gives the same data.
"""

from __future__ import annotations

import json
import random
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from persistence.database import Database
from persistence.models.catalog import Product
from persistence.repositories.origin_stock import PRIMARY_ORIGIN

# (top category, attribute definitions, subcategories, sale type)
TREE: tuple[tuple[str, dict[str, str], tuple[str, ...], str], ...] = (
    (
        "Electronics",
        {"brand": "STRING", "screen_inches": "NUMBER", "wireless": "BOOLEAN"},
        ("Phones", "Laptops", "Audio"),
        "REALTIME",
    ),
    (
        "Fashion",
        {"brand": "STRING", "material": "STRING", "organic": "BOOLEAN"},
        ("Shirts", "Shoes", "Bags"),
        "REALTIME",
    ),
    (
        "Home",
        {"brand": "STRING", "material": "STRING", "volume_l": "NUMBER"},
        ("Kitchen", "Furniture", "Lighting"),
        "REALTIME",
    ),
    (
        "Books",
        {"author": "STRING", "pages": "NUMBER"},
        ("Fiction", "Science", "Comics"),
        "REALTIME",
    ),
    (
        "Sports",
        {"brand": "STRING", "weight_kg": "NUMBER"},
        ("Running", "Cycling", "Camping"),
        "REALTIME",
    ),
    (
        "Tickets",
        {"venue": "STRING", "city": "STRING"},
        ("Concerts", "Musicals", "Exhibitions"),
        "RESERVATION",
    ),
)
BRANDS = (
    "Acme",
    "Hanbit",
    "Nordlys",
    "Solace",
    "Kestrel",
    "Mirae",
    "Orbis",
    "Tandem",
    "Vela",
    "Yulim",
)
MATERIALS = ("cotton", "linen", "steel", "oak", "wool", "glass", "ceramic", "bamboo")
CITIES = ("Seoul", "Busan", "Tokyo", "Singapore", "Berlin", "Austin")
ADJECTIVES = (
    "Classic",
    "Compact",
    "Deluxe",
    "Everyday",
    "Light",
    "Modern",
    "Pro",
    "Quiet",
    "Smart",
    "Urban",
)
NOUNS = {
    "Electronics": ("Phone", "Laptop", "Headphones", "Speaker", "Tablet"),
    "Fashion": ("Shirt", "Sneakers", "Tote", "Jacket", "Scarf"),
    "Home": ("Kettle", "Chair", "Lamp", "Pan", "Shelf"),
    "Books": ("Novel", "Atlas", "Handbook", "Anthology", "Comic"),
    "Sports": ("Runner", "Helmet", "Tent", "Bottle", "Jersey"),
    "Tickets": ("Concert", "Musical", "Exhibition", "Festival", "Recital"),
}
OPTIONS = (
    ("Color", ("Black", "White", "Blue")),
    ("Size", ("S", "M", "L")),
    ("Edition", ("Standard", "Limited")),
)


def _attribute(rng: random.Random, key: str, type_: str) -> Any:
    if type_ == "NUMBER":
        return rng.choice((5, 6.1, 13.3, 15.6, 120, 250, 480, 1, 2.5))
    if type_ == "BOOLEAN":
        return rng.random() < 0.5
    pool = {"brand": BRANDS, "material": MATERIALS, "city": CITIES}.get(key, BRANDS)
    return rng.choice(pool)


async def seed_catalog(db: Database, size: int, *, seed: int = 42) -> int:
    """Create the catalog when it is empty; return the number of products created."""
    async with db.read() as conn:
        if await conn.scalar(select(func.count()).select_from(Product)):
            return 0
    rng = random.Random(seed)
    categories, definitions, leaves = [], [], []
    for top, attrs, subs, sale_type in TREE:
        top_id = uuid.uuid4()
        categories.append((top_id, None, top, [top_id], top))
        definitions += [(top_id, key, type_) for key, type_ in attrs.items()]
        for sub in subs:
            sub_id = uuid.uuid4()
            categories.append((sub_id, top_id, sub, [top_id, sub_id], f"{top}/{sub}"))
            leaves.append((sub_id, top, attrs, sale_type))
    vendors = [
        (uuid.uuid4(), "Tessera" if n == 0 else f"Vendor {n:02d}", n == 0) for n in range(50)
    ]

    products, groups, values, variants = [], [], [], []
    for n in range(size):
        product_id = uuid.uuid4()
        category_id, top, attrs, sale_type = rng.choice(leaves)
        sold_out = rng.random() < 0.08
        status = "DRAFT" if rng.random() < 0.04 else ("SOLD_OUT" if sold_out else "LAUNCHED")
        price = Decimal(rng.randrange(50, 5000) * 100)
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS[top])} {n + 1}"
        attributes = {key: _attribute(rng, key, type_) for key, type_ in attrs.items()}
        products.append(
            (
                product_id,
                rng.choice(vendors)[0],
                category_id,
                name,
                f"{name}: a demo product of {top}.",
                sale_type,
                status,
                price,
                "KRW",
                json.dumps(attributes),
            )
        )
        value_ids: list[list[uuid.UUID]] = []
        for position, (group_name, group_values) in enumerate(OPTIONS):
            group_id = uuid.uuid4()
            groups.append((group_id, product_id, group_name, position))
            ids = []
            for index, value in enumerate(group_values):
                value_id = uuid.uuid4()
                extra = Decimal(1000 * index) if group_name == "Edition" else Decimal(0)
                values.append((value_id, group_id, value, extra, index))
                ids.append(value_id)
            value_ids.append(ids)
        prefix = product_id.hex[:8].upper()
        combination = 0
        for color in value_ids[0]:
            for size_id in value_ids[1]:
                for edition in value_ids[2]:
                    stock = 0 if sold_out else rng.randrange(0, 40)
                    variants.append(
                        (
                            uuid.uuid4(),
                            product_id,
                            f"{prefix}-{combination + 1:03d}",
                            [color, size_id, edition],
                            Decimal(1000) if edition == value_ids[2][1] else Decimal(0),
                            stock,
                            True,
                            combination,
                        )
                    )
                    combination += 1

    async with db.engine.begin() as conn:
        raw = await conn.get_raw_connection()
        copy = raw.driver_connection.copy_records_to_table  # asyncpg COPY
        await copy(
            "catalog_category",
            records=categories,
            columns=["id", "parent_id", "name", "lineage", "path"],
        )
        await copy(
            "catalog_attribute_definition",
            records=definitions,
            columns=["category_id", "key", "type"],
        )
        await copy("catalog_vendor", records=vendors, columns=["id", "name", "first_party"])
        await copy(
            "catalog_product",
            records=products,
            columns=[
                "id",
                "vendor_id",
                "category_id",
                "name",
                "description",
                "sale_type",
                "status",
                "price_amount",
                "currency",
                "attributes",
            ],
        )
        await copy(
            "catalog_option_group", records=groups, columns=["id", "product_id", "name", "position"]
        )
        await copy(
            "catalog_option_value",
            records=values,
            columns=["id", "group_id", "value", "extra_price", "position"],
        )
        # Stock lives per shipping origin; the roll-up trigger is bypassed for the bulk load
        # because catalog_variant.stock is written with the same numbers right here.
        await copy(
            "catalog_variant",
            records=variants,
            columns=[
                "id",
                "product_id",
                "sku",
                "option_value_ids",
                "extra_price",
                "stock",
                "on_sale",
                "position",
            ],
        )
        await conn.exec_driver_sql(
            "ALTER TABLE order_origin_stock DISABLE TRIGGER order_origin_stock_rollup"
        )
        await copy(
            "order_origin_stock",
            records=[(PRIMARY_ORIGIN, v[0], v[5]) for v in variants if v[5] > 0],
            columns=["origin_id", "variant_id", "quantity"],
        )
        await conn.exec_driver_sql(
            "ALTER TABLE order_origin_stock ENABLE TRIGGER order_origin_stock_rollup"
        )
        await conn.exec_driver_sql("ANALYZE")
    return size
