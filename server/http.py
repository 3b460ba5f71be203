"""Pure ASGI middleware: request ids, tracing and access logs; request body limit."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.tracing import request_id_var, tracer

_log = logging.getLogger("tessera.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def json_error(status: int, message: str, code: str, reason: str) -> tuple[int, bytes]:
    body = {"errors": [{"message": message, "extensions": {"code": code, "reason": reason}}]}
    return status, json.dumps(body).encode()


async def send_json(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """Request id (X-Request-ID), one server span, one structured access-log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        offered = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status = {"code": 0}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (b"x-request-id", request_id.encode()),
                    ],
                }
            await send(message)

        try:
            with tracer.start_as_current_span(
                f"{scope['type']} {scope['path']}", kind=SpanKind.SERVER
            ) as span:
                span.set_attribute("http.request_id", request_id)
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    span.set_attribute("http.status_code", status["code"])
                    _log.info(
                        "request",
                        extra={
                            "method": scope.get("method", "WS"),
                            "path": scope[
                                "path"
                            ],  # never the query string: it may carry a query or token
                            "status": status["code"],
                            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        },
                    )
        finally:
            request_id_var.reset(token)


class BodyLimitMiddleware:
    """Refuses request bodies above `max_bytes` with 413 before the app parses them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        status, body = json_error(
            413,
            f"Request body is larger than {self.max_bytes} bytes.",
            "VALIDATION",
            "BODY_TOO_LARGE",
        )
        await send_json(send, status, body)
