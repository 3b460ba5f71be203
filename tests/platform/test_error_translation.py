"""Errors without a path are the client's only when they are coercion errors: a bug that
fails a subscription before its first event is INTERNAL (logged), never VALIDATION."""

from __future__ import annotations

import decimal

import pytest
from graphql import GraphQLError

from schema.errors import translate


@pytest.mark.parametrize(
    "original",
    [None, ValueError("it needs a time zone offset"), decimal.InvalidOperation()],
    ids=["validation", "scalar", "decimal"],
)
def test_coercion_errors_are_validation(original: Exception | None) -> None:
    error = GraphQLError("Variable '$at' got invalid value", original_error=original)
    assert translate(error, "en").extensions == {
        "code": "VALIDATION",
        "reason": "GRAPHQL_VALIDATION",
    }


def test_an_unexpected_error_without_a_path_is_internal_and_logged(caplog) -> None:
    error = GraphQLError("'X' object has no attribute 'y'", original_error=AttributeError("y"))
    translated = translate(error, "en")
    assert translated.extensions is not None
    assert translated.extensions["code"] == "INTERNAL"
    assert "attribute" not in translated.message
    assert any(record.exc_info for record in caplog.records)
