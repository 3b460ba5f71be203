"""Plain read models of the catalog, shared by the database path and the cache path."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class CategoryView:
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    path: str
    lineage: tuple[uuid.UUID, ...]
    attribute_types: dict[str, str]  # effective definitions: own and inherited


@dataclass(frozen=True)
class VendorView:
    id: uuid.UUID
    name: str
    first_party: bool


@dataclass(frozen=True)
class OptionValueView:
    id: uuid.UUID
    value: str
    extra_price: Decimal


@dataclass(frozen=True)
class OptionGroupView:
    id: uuid.UUID
    name: str
    values: tuple[OptionValueView, ...]


@dataclass(frozen=True)
class VariantView:
    id: uuid.UUID
    product_id: uuid.UUID
    sku: str
    option_value_ids: tuple[uuid.UUID, ...]
    extra_price: Decimal
    stock: int
    on_sale: bool


@dataclass(frozen=True)
class ProductView:
    id: uuid.UUID
    vendor_id: uuid.UUID
    category_id: uuid.UUID
    name: str
    description: str
    sale_type: str
    status: str
    price_amount: Decimal
    currency: str
    attributes: dict[str, Any]
    version: int
    created_at: datetime

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES


PUBLIC_STATUSES = ("LAUNCHED", "SOLD_OUT")


@dataclass(frozen=True)
class ProductBundle:
    """A product with its options and variants: the unit the hot-read cache stores."""

    product: ProductView
    options: tuple[OptionGroupView, ...] = field(default_factory=tuple)
    variants: tuple[VariantView, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProductBundle:
        product = data["product"]
        return cls(
            product=ProductView(
                **{
                    **product,
                    "id": uuid.UUID(product["id"]),
                    "vendor_id": uuid.UUID(product["vendor_id"]),
                    "category_id": uuid.UUID(product["category_id"]),
                    "price_amount": Decimal(product["price_amount"]),
                    "created_at": datetime.fromisoformat(product["created_at"]),
                }
            ),
            options=tuple(
                OptionGroupView(
                    id=uuid.UUID(group["id"]),
                    name=group["name"],
                    values=tuple(
                        OptionValueView(uuid.UUID(v["id"]), v["value"], Decimal(v["extra_price"]))
                        for v in group["values"]
                    ),
                )
                for group in data["options"]
            ),
            variants=tuple(
                VariantView(
                    id=uuid.UUID(v["id"]),
                    product_id=uuid.UUID(v["product_id"]),
                    sku=v["sku"],
                    option_value_ids=tuple(uuid.UUID(i) for i in v["option_value_ids"]),
                    extra_price=Decimal(v["extra_price"]),
                    stock=v["stock"],
                    on_sale=v["on_sale"],
                )
                for v in data["variants"]
            ),
        )
