"""Pure catalog rules: lifecycle, money, typed attributes, options and variants."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import ValidationFailed
from resolvers.validation import required_text

# CAT-6: DRAFT → IN_REVIEW → LAUNCHED ⇄ SOLD_OUT → DISCONTINUED (review may send back to draft).
TRANSITIONS: dict[str, frozenset[str]] = {
    "DRAFT": frozenset({"IN_REVIEW"}),
    "IN_REVIEW": frozenset({"LAUNCHED", "DRAFT"}),
    "LAUNCHED": frozenset({"SOLD_OUT", "DISCONTINUED"}),
    "SOLD_OUT": frozenset({"LAUNCHED", "DISCONTINUED"}),
    "DISCONTINUED": frozenset(),
}

CURRENCIES = frozenset({"KRW", "USD", "EUR", "JPY", "GBP", "CNY", "SGD", "AUD", "CAD"})
MAX_AMOUNT = Decimal("999999999999.99")
MAX_OPTION_GROUPS = 5
MAX_VALUES_PER_GROUP = 30
MAX_VARIANTS = 300


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none"
        raise ValidationFailed(
            f"cannot go from {current} to {target} (allowed: {allowed})",
            reason="ILLEGAL_TRANSITION",
            field="to",
        )


def automatic_status(status: str, available_stock: int) -> str | None:
    """The status stock alone implies: sold out at zero, launched again on restock."""
    if status == "LAUNCHED" and available_stock == 0:
        return "SOLD_OUT"
    if status == "SOLD_OUT" and available_stock > 0:
        return "LAUNCHED"
    return None


def money(amount: Decimal | str, currency: str, field: str) -> tuple[Decimal, str]:
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise ValidationFailed(f"{field}.amount is not a number", field=f"{field}.amount") from exc
    if not value.is_finite() or value < 0:
        raise ValidationFailed(f"{field}.amount must not be negative", field=f"{field}.amount")
    if value > MAX_AMOUNT or value != value.quantize(Decimal("0.01")):
        raise ValidationFailed(
            f"{field}.amount must have at most 2 decimals and 12 digits", field=f"{field}.amount"
        )
    if currency not in CURRENCIES:
        raise ValidationFailed(
            f"{field}.currency must be one of {', '.join(sorted(CURRENCIES))}",
            field=f"{field}.currency",
        )
    return value.quantize(Decimal("0.01")), currency


def coerce_attribute(key: str, raw: str, types: dict[str, str]) -> Any:
    """Parse an attribute given as text into its declared JSON type (CAT-5)."""
    field = f"attributes.{key}"
    declared = types.get(key)
    if declared is None:
        known = ", ".join(sorted(types)) or "none"
        raise ValidationFailed(
            f"unknown attribute {key!r} for this category (known: {known})", field=field
        )
    if declared == "NUMBER":
        try:
            number = Decimal(raw.strip())
        except InvalidOperation as exc:
            raise ValidationFailed(f"attribute {key!r} must be a number", field=field) from exc
        if not number.is_finite():
            raise ValidationFailed(f"attribute {key!r} must be a finite number", field=field)
        return int(number) if number == number.to_integral_value() else float(number)
    if declared == "BOOLEAN":
        lowered = raw.strip().lower()
        if lowered not in {"true", "false"}:
            raise ValidationFailed(f"attribute {key!r} must be true or false", field=field)
        return lowered == "true"
    return required_text(raw, field, 200)


def typed_attributes(pairs: list[tuple[str, str]], types: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, raw in pairs:
        if key in result:
            raise ValidationFailed(f"attribute {key!r} given twice", field=f"attributes.{key}")
        result[key] = coerce_attribute(key, raw, types)
    return result


def attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class OptionSpec:
    name: str
    values: list[tuple[str, Decimal]]  # (value, extra price)


def check_options(options: list[OptionSpec]) -> None:
    if len(options) > MAX_OPTION_GROUPS:
        raise ValidationFailed(f"at most {MAX_OPTION_GROUPS} option groups", field="options")
    names = [o.name for o in options]
    if len(set(names)) != len(names):
        raise ValidationFailed("option group names must be unique", field="options")
    combinations = 1
    for index, option in enumerate(options):
        if not option.values or len(option.values) > MAX_VALUES_PER_GROUP:
            raise ValidationFailed(
                f"option {option.name!r} needs 1..{MAX_VALUES_PER_GROUP} values",
                field=f"options[{index}].values",
            )
        values = [v for v, _ in option.values]
        if len(set(values)) != len(values):
            raise ValidationFailed(
                f"values of option {option.name!r} must be unique", field=f"options[{index}].values"
            )
        combinations *= len(values)
    if combinations > MAX_VARIANTS:
        raise ValidationFailed(
            f"options make {combinations} variants; at most {MAX_VARIANTS}", field="options"
        )


def variant_combinations(value_ids: list[list[Any]]) -> list[tuple[Any, ...]]:
    """Every sellable combination: one value from each group (or one plain variant)."""
    return list(itertools.product(*value_ids)) if value_ids else [()]
