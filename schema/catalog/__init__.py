"""Catalog subgraph: products, options, variants, vendors, categories (CAT-1..CAT-9).

`types` (object types and payloads), `inputs`, `queries`, `mutations`; `access` resolves who
asks. Use cases live in resolvers/catalog/, SQL in persistence/repositories/catalog/."""

from schema.catalog.mutations import CatalogMutation
from schema.catalog.queries import CatalogQuery
from schema.catalog.types import Product, Variant, Vendor

__all__ = ["CatalogMutation", "CatalogQuery", "Product", "Variant", "Vendor"]
