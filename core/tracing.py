"""Request and trace ids every layer may read; exporters are wired in server/observability.py."""

from __future__ import annotations

from contextvars import ContextVar

from opentelemetry import trace

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
tracer = trace.get_tracer("tessera")


def current_trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
