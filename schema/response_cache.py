"""Whole-response cache for anonymous catalog reads (CAT-9).

A page of products is tens of thousands of GraphQL fields; executing them is
the dominant cost, so anonymous queries whose root fields are all public
catalog reads are answered from the hot-read cache. The key includes the
catalog's generation, which every catalog write bumps, so a write makes all
cached responses unreachable at once, in every process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator

from graphql import FieldNode, OperationDefinitionNode, OperationType
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

CACHEABLE_ROOT_FIELDS = frozenset({"products", "product", "categories", "vendors", "__typename"})
MAX_CACHED_BYTES = 4 * 1024 * 1024


def _operation(document: object, name: str | None) -> OperationDefinitionNode | None:
    operations = [
        d for d in getattr(document, "definitions", ()) if isinstance(d, OperationDefinitionNode)
    ]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name and op.name.value == name), None)


def _cacheable(operation: OperationDefinitionNode | None) -> bool:
    if operation is None or operation.operation != OperationType.QUERY:
        return False
    selections = operation.selection_set.selections
    return all(
        isinstance(s, FieldNode) and s.name.value in CACHEABLE_ROOT_FIELDS for s in selections
    )


class ResponseCache(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        execution = self.execution_context
        context = execution.context
        services = context.services
        name = None
        if (
            services.settings.response_cache
            and context._authorization() is None
            and _cacheable(_operation(execution.graphql_document, execution.operation_name))
        ):
            digest = hashlib.sha256(
                json.dumps(
                    [execution.query, execution.operation_name, execution.variables],
                    sort_keys=True,
                    default=str,
                ).encode()
            ).hexdigest()
            generation = await services.catalog_cache.generation()
            name = f"gql:{generation}:{digest}"
            hit = await services.cache.peek(name)
            if hit is not None:
                execution.result = ExecutionResult(data=hit, errors=None)
                name = None
        yield
        result = execution.result
        if (
            name is not None
            and result is not None
            and not result.errors
            and result.data is not None
        ):
            await services.cache.put(name, result.data, max_bytes=MAX_CACHED_BYTES)
