"""Pure lifecycle and value rules (CAT-4, CAT-5, CAT-6)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import ValidationFailed
from resolvers.catalog import rules


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("DRAFT", "IN_REVIEW"),
        ("IN_REVIEW", "LAUNCHED"),
        ("IN_REVIEW", "DRAFT"),
        ("LAUNCHED", "SOLD_OUT"),
        ("SOLD_OUT", "LAUNCHED"),
        ("LAUNCHED", "DISCONTINUED"),
        ("SOLD_OUT", "DISCONTINUED"),
    ],
)
def test_allowed_transitions(current: str, target: str) -> None:
    rules.check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("DRAFT", "LAUNCHED"),
        ("DRAFT", "SOLD_OUT"),
        ("LAUNCHED", "DRAFT"),
        ("DISCONTINUED", "LAUNCHED"),
        ("LAUNCHED", "LAUNCHED"),
    ],
)
def test_illegal_transitions(current: str, target: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        rules.check_transition(current, target)
    assert raised.value.reason == "ILLEGAL_TRANSITION"


def test_automatic_status_follows_stock() -> None:
    assert rules.automatic_status("LAUNCHED", 0) == "SOLD_OUT"
    assert rules.automatic_status("SOLD_OUT", 3) == "LAUNCHED"
    assert rules.automatic_status("LAUNCHED", 3) is None
    assert rules.automatic_status("DRAFT", 0) is None  # drafts never flip on stock


def test_money_rules() -> None:
    assert rules.money("10.5", "KRW", "price") == (Decimal("10.50"), "KRW")
    for amount, currency in (
        ("-1", "KRW"),
        ("1.001", "KRW"),
        ("abc", "KRW"),
        ("NaN", "KRW"),
        ("1", "XXX"),
    ):
        with pytest.raises(ValidationFailed):
            rules.money(amount, currency, "price")


def test_attribute_typing() -> None:
    types = {"pages": "NUMBER", "hardcover": "BOOLEAN", "author": "STRING"}
    assert rules.typed_attributes(
        [("pages", "320"), ("hardcover", "TRUE"), ("author", " Han ")], types
    ) == {
        "pages": 320,
        "hardcover": True,
        "author": "Han",
    }
    for pairs in (
        [("pages", "many")],
        [("hardcover", "yes")],
        [("colour", "red")],
        [("pages", "1"), ("pages", "2")],
    ):
        with pytest.raises(ValidationFailed) as raised:
            rules.typed_attributes(pairs, types)
        assert raised.value.field.startswith("attributes.")


def test_variant_combinations() -> None:
    assert rules.variant_combinations([["a", "b"], ["x", "y", "z"]]) == [
        ("a", "x"),
        ("a", "y"),
        ("a", "z"),
        ("b", "x"),
        ("b", "y"),
        ("b", "z"),
    ]
    assert rules.variant_combinations([]) == [()]
