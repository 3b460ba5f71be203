"""Every contract document validates against the composed schema."""

from __future__ import annotations

import pytest
from graphql import parse, validate

from schema import SUBGRAPHS, build_schema
from tests.contract.documents import DOCUMENTS_DIR, SHARED_DIR, contract_text

DOMAINS = sorted(path.stem for path in DOCUMENTS_DIR.glob("*.graphql"))
BUILT = sorted(domain for domain in DOMAINS if domain in SUBGRAPHS)


def test_vendored_copy_matches_the_shared_contract() -> None:
    if SHARED_DIR.is_dir():  # absent on a bare CI clone: the vendored copy is then the contract
        for path in SHARED_DIR.glob("*.graphql"):
            assert (DOCUMENTS_DIR / path.name).read_text() == path.read_text(), path.name


def test_contract_domains_not_yet_served_are_exactly_the_unbuilt_subgraphs() -> None:
    """When a domain's subgraph lands, its contract joins the validation below automatically."""
    assert set(DOMAINS) - set(BUILT) == set(DOMAINS) - set(SUBGRAPHS)
    assert "identity" in BUILT


@pytest.mark.parametrize("domain", BUILT)
def test_contract_document_validates(domain: str) -> None:
    schema = build_schema()._schema
    errors = validate(schema, parse(contract_text(domain)))
    assert errors == [], [e.message for e in errors]
