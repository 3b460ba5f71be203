"""The /graphql endpoint: HTTP (POST, GET for queries) and graphql-transport-ws sockets."""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from auth.principal import authenticate, bearer_token
from auth.socket_session import SocketSession
from core.errors import DomainError, message_for, pick_language
from core.tracing import request_id_var
from resolvers.services import RequestMeta, Services
from schema.context import Context, new_loaders
from server import graphiql_page
from server.http import json_error, send_json

# Our inputs nest a few levels; deeper JSON is refused before anything walks it.
MAX_JSON_DEPTH = 32


class BadJson(json.JSONDecodeError):
    """A body or socket message we refuse to read (strawberry answers 400 or closes 4400)."""

    def __init__(self, why: str) -> None:
        super().__init__(why, "", 0)
        self.why = why


def _refuse_constant(name: str) -> float:
    raise BadJson(f"{name} is not JSON")


def _json_depth(value: object) -> int:
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                break
            stack.extend((child, depth + 1) for child in item)
    return deepest


def decode_json(data: str | bytes) -> object:
    """JSON as the standard library reads it, minus what would fail later: invalid UTF-8,
    NaN/Infinity, integers too long to convert, nesting beyond MAX_JSON_DEPTH."""
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except BadJson:
        raise
    except RecursionError as exc:
        raise BadJson("The JSON nests too deeply.") from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, int conversion limit
        raise BadJson(f"The body is not valid JSON in UTF-8: {exc}") from exc
    if _json_depth(value) > MAX_JSON_DEPTH:
        raise BadJson(f"The JSON nests deeper than {MAX_JSON_DEPTH} levels.")
    return value


class TesseraGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: Any, services: Services) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if services.settings.introspection else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                response = await self.run(Request(scope, receive=receive))
            except HTTPException as exc:
                # Strawberry answers bad requests in plain text; clients get GraphQL JSON.
                status, body = json_error(exc.status_code, exc.reason, "VALIDATION", "BAD_REQUEST")
                await send_json(send, status, body)
                return
            await response(scope, receive, send)
            return
        websocket = WebSocket(scope, receive=receive, send=send)
        try:
            await self.run(websocket)
        finally:
            socket: SocketSession | None = getattr(websocket.state, "socket_session", None)
            if socket is not None:
                await socket.stop()

    @property
    def graphql_ide_html(self) -> str:
        """Our GraphiQL page: its files come from this server, not from a CDN."""
        return graphiql_page.page_html()

    def decode_json(self, data: str | bytes) -> object:
        return decode_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return decode_json(data)
        except BadJson as exc:
            raise HTTPException(400, exc.why) from exc

    async def parse_http_body(self, request: Any) -> Any:
        try:
            parsed = await super().parse_http_body(request)
        except (AttributeError, TypeError) as exc:  # valid JSON, but not an object
            raise HTTPException(400, "The request body must be a JSON object.") from exc
        if not isinstance(getattr(parsed, "operation_name", None), (str, type(None))):
            raise HTTPException(400, "The operationName must be a string or null.")
        return parsed

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        meta = RequestMeta(
            address=request.client.host if request.client else "unknown",
            request_id=request_id_var.get(),
            lang=pick_language(request.headers.get("accept-language")),
        )
        return Context(
            services=self.services, request=request, meta=meta, loaders=new_loaders(self.services)
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate at connection_init (API-5); no token means an anonymous socket."""
        try:
            token = bearer_token(context._authorization())
            if token is None:
                return UNSET
            principal = await authenticate(self.services.tokens, self.services.sessions, token)
        except DomainError as exc:
            raise ConnectionRejectionError(
                {
                    "code": exc.code,
                    "reason": exc.reason,
                    "message": message_for(exc.code, context.lang),
                }
            ) from exc
        context._principal = principal
        socket = SocketSession(
            self.services.broker,
            self.services.sessions,
            context.request,
            principal,
            self.services.faults,
        )
        context.request.state.socket_session = socket
        context.socket = socket
        await socket.start()
        return UNSET
