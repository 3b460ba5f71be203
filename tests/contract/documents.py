"""The client contract (../shared/contract), vendored so CI on a bare clone has it."""

from __future__ import annotations

from pathlib import Path

from graphql import OperationDefinitionNode, parse

DOCUMENTS_DIR = Path(__file__).parent / "documents"
SHARED_DIR = Path(__file__).resolve().parents[3] / "shared" / "contract"


def contract_text(domain: str) -> str:
    return (DOCUMENTS_DIR / f"{domain}.graphql").read_text()


def operation_names(domain: str) -> list[str]:
    document = parse(contract_text(domain))
    return [
        d.name.value
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode) and d.name
    ]
