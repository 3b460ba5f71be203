"""Catalog repositories by subject: `reads` (loader batches, the cache's loads), `search`
(public search and ledger pages), `products`, `stock` and `structure` (what use cases write).

The read API is re-exported here, as loaders, the hot-read cache and the benches use it."""

from persistence.repositories.catalog.reads import (
    all_categories,
    all_vendors,
    lifecycle_by_products,
    options_by_products,
    price_history_by_products,
    product_view,
    products_by_ids,
    substitutes_by_products,
    variant_view,
    variants_by_ids,
    variants_by_products,
    vendors_staffed_by,
)
from persistence.repositories.catalog.search import (
    ProductSearch,
    ledger_page,
    product_page,
    search_count,
    search_page,
)

__all__ = [
    "ProductSearch",
    "all_categories",
    "all_vendors",
    "ledger_page",
    "lifecycle_by_products",
    "options_by_products",
    "price_history_by_products",
    "product_page",
    "product_view",
    "products_by_ids",
    "search_count",
    "search_page",
    "substitutes_by_products",
    "variant_view",
    "variants_by_ids",
    "variants_by_products",
    "vendors_staffed_by",
]
