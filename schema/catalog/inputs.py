"""The catalog subgraph's input types."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from schema.catalog.types import AttributeType, SaleType
from schema.money import MoneyInput


@strawberry.input
class AttributeFilter:
    key: str
    equals: str


@strawberry.input
class ProductFilter:
    text: str | None = None
    category_id: strawberry.ID | None = None
    vendor_id: strawberry.ID | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    attributes: list[AttributeFilter] | None = None
    available_only: bool = False


@strawberry.input
class AttributeInput:
    key: str
    value: str


@strawberry.input
class OptionValueInput:
    value: str
    extra_price: MoneyInput | None = None


@strawberry.input
class OptionInput:
    name: str
    values: list[OptionValueInput]


@strawberry.input
class CreateProductInput:
    name: str
    sale_type: SaleType
    category_id: strawberry.ID
    vendor_id: strawberry.ID
    price: MoneyInput
    description: str = ""
    attributes: list[AttributeInput] | None = None
    options: list[OptionInput] | None = None


@strawberry.input
class AttributeDefinitionInput:
    key: str
    type: AttributeType
