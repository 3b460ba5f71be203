"""Maps every error once to `extensions.code` and a message in the caller's language (ID-10)."""

from __future__ import annotations

import decimal
import logging
from collections.abc import AsyncIterator, Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from core.errors import DomainError, message_for
from core.tracing import current_trace_id
from persistence.errors import STORE_OVERLOADED, data_exception
from schema.context import new_loaders

_log = logging.getLogger("tessera.errors")

# What refusing a variable's value raises: graphql-core's own errors, our scalars' ValueError
# (schema/scalars.py) and decimal's signals.
_COERCION_ERRORS = (GraphQLError, ValueError, decimal.DecimalException)


def translate(error: GraphQLError, lang: str) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        message = message_for(original.code, lang, original.detail)
        extensions = original.extensions()
    elif original is None or (error.path is None and isinstance(original, _COERCION_ERRORS)):
        # Parse, validation and variable-coercion errors: the client sent a bad request.
        # Request limits (schema/limits.py) name their reason. Anything else without a path
        # (a subscription's source failing before its first event) is ours: INTERNAL below.
        message = error.message
        reason = (error.extensions or {}).get("reason", "GRAPHQL_VALIDATION")
        extensions = {"code": "VALIDATION", "reason": reason}
    elif (sqlstate := data_exception(original)) is not None:
        # No traceback and no parameters (they are the client's data); the domain should
        # check this input itself and name the field.
        _log.warning(
            "value refused by the database", extra={"path": error.path, "sqlstate": sqlstate}
        )
        message = message_for("VALIDATION", lang)
        extensions = {"code": "VALIDATION", "reason": "VALUE_NOT_STORABLE"}
    elif isinstance(original, STORE_OVERLOADED):
        _log.warning(
            "store overloaded or unreachable",
            extra={"path": error.path, "error": f"{type(original).__name__}: {original}"[:300]},
        )
        message = message_for("UNAVAILABLE", lang)
        extensions = {"code": "UNAVAILABLE", "retryable": True}
    else:
        trace_id = current_trace_id()
        _log.error(
            "unexpected error", exc_info=original, extra={"path": error.path, "trace_id": trace_id}
        )
        message = message_for("INTERNAL", lang)
        extensions = {"code": "INTERNAL", "traceId": trace_id}
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    """Translates errors of single results and of each subscription event."""

    def __init__(self) -> None:
        self._translated: set[int] = set()  # a subscription's last result passes by twice

    def _translate(self, result: object) -> None:
        errors = getattr(result, "errors", None)
        if errors and id(result) not in self._translated:
            lang = getattr(self.execution_context.context, "lang", "en")
            result.errors = [translate(error, lang) for error in errors]  # type: ignore[attr-defined]
            self._translated.add(id(result))

    def on_operation(self) -> Iterator[None]:
        yield
        self._translate(self.execution_context.result)

    def on_stream_result(self, result: object) -> Iterator[None]:
        self._translate(result)
        yield None


class UnitOfWork(SchemaExtension):
    """Fresh loaders for each operation (sockets run many); closes its database session."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context.context
        context.loaders = new_loaders(context.services)
        try:
            yield
        finally:
            await context.close()
