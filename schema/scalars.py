"""Scalars that refuse at coercion what the database cannot hold (VALIDATION, not INTERNAL).

Strawberry's `Decimal` and `DateTime` take any number and naive times; our columns are
NUMERIC(14,2) and timestamptz. The overrides keep the names, the wire format and the
serialisation, and only narrow what is accepted. (`String` is graphql-core's reserved
scalar and cannot be replaced: U+0000 is refused by `schema/limits.py` instead.)
"""

from __future__ import annotations

import datetime as dt
import decimal

import dateutil.parser
from strawberry.schema.types.base_scalars import DateTimeDefinition, DecimalDefinition, wrap_parser
from strawberry.types.scalar import ScalarDefinition, scalar

# The widest amount a NUMERIC(14, 2) column holds, and its scale.
MAX_DECIMAL = decimal.Decimal("999999999999.99")
CENT = decimal.Decimal("0.01")


def parse_decimal(text: str) -> decimal.Decimal:
    value = decimal.Decimal(text)
    if not value.is_finite():
        raise ValueError("it must be a finite number")
    if abs(value) > MAX_DECIMAL or value != value.quantize(CENT):
        raise ValueError("it must have at most 12 digits before the point and 2 after it")
    return value


def parse_aware_datetime(text: str) -> dt.datetime:
    value = dateutil.parser.isoparse(text)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("it needs a time zone offset, e.g. 2026-11-22T10:00:00+09:00")
    try:
        value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValueError("it is out of range") from exc
    return value


BoundedDecimal: ScalarDefinition = scalar(
    name=DecimalDefinition.name,
    description="Decimal (fixed-point), at most 12 digits before the point and 2 after it",
    serialize=str,
    parse_value=wrap_parser(
        parse_decimal,
        "Decimal",
        exceptions=(ValueError, decimal.DecimalException),
        accept_non_string=True,
    ),
)

AwareDateTime: ScalarDefinition = scalar(
    name=DateTimeDefinition.name,
    description="Date with time and time zone offset (isoformat)",
    serialize=dt.datetime.isoformat,
    parse_value=wrap_parser(parse_aware_datetime, "DateTime"),
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {
    decimal.Decimal: BoundedDecimal,
    dt.datetime: AwareDateTime,
}
