"""Maps every error once to `extensions.code` and a message in the caller's language (ID-10)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from dataloaders import Loaders
from resolvers.errors import DomainError, message_for
from server.observability import current_trace_id

_log = logging.getLogger("tessera.errors")


def translate(error: GraphQLError, lang: str) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        message = message_for(original.code, lang, original.detail)
        extensions = original.extensions()
    elif original is None:
        # Parse, validation and variable-coercion errors: the client sent a bad document.
        message = error.message
        extensions = {"code": "VALIDATION", "reason": "GRAPHQL_VALIDATION"}
    else:
        trace_id = current_trace_id()
        _log.error("unexpected error", exc_info=original, extra={"path": error.path, "trace_id": trace_id})
        message = message_for("INTERNAL", lang)
        extensions = {"code": "INTERNAL", "traceId": trace_id}
    return GraphQLError(
        message, nodes=error.nodes, source=error.source, positions=error.positions,
        path=error.path, original_error=None, extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and getattr(result, "errors", None):
            context = self.execution_context.context
            lang = getattr(context, "lang", "en")
            result.errors = [translate(error, lang) for error in result.errors]


class UnitOfWork(SchemaExtension):
    """Fresh loaders for each operation (sockets run many); closes its database session."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context.context
        context.loaders = Loaders(context.services.db)
        try:
            yield
        finally:
            await context.close()
