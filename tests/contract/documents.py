"""The client contract (../shared/contract), vendored so CI on a bare clone has it.

`documents/<domain>.graphql` is the shared contract, byte for byte (or, for a domain the
shared contract does not cover yet, our own document). Operations we add to a shared
domain live in `documents/additions/<domain>.graphql`, so the vendored copy never drifts;
`contract_text(domain)` is both together.
"""

from __future__ import annotations

from pathlib import Path

from graphql import OperationDefinitionNode, parse

DOCUMENTS_DIR = Path(__file__).parent / "documents"
ADDITIONS_DIR = DOCUMENTS_DIR / "additions"
SHARED_DIR = Path(__file__).resolve().parents[3] / "shared" / "contract"


def contract_text(domain: str) -> str:
    text = (DOCUMENTS_DIR / f"{domain}.graphql").read_text()
    additions = ADDITIONS_DIR / f"{domain}.graphql"
    return f"{text}\n{additions.read_text()}" if additions.exists() else text


def operation_names(domain: str) -> list[str]:
    document = parse(contract_text(domain))
    return [
        d.name.value
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode) and d.name
    ]
