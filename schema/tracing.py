"""One OpenTelemetry span per GraphQL operation (cheap: no span per field)."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from core.tracing import tracer


class OperationSpan(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        with tracer.start_as_current_span("graphql.operation") as span:
            yield
            context = self.execution_context
            span.set_attribute("graphql.operation.name", context.operation_name or "")
            if context.graphql_document is not None:  # None when the document did not parse
                span.set_attribute("graphql.operation.type", context.operation_type.value)
            result = context.result
            span.set_attribute("graphql.errors", len(getattr(result, "errors", None) or []))
