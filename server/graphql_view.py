"""The /graphql endpoint: HTTP (POST, GET for queries) and graphql-transport-ws sockets."""

from __future__ import annotations

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
from dataloaders import Loaders
from resolvers.errors import DomainError, message_for, pick_language
from resolvers.services import RequestMeta, Services
from schema.context import Context
from server.http import json_error, send_json
from server.observability import request_id_var
from subscriptions.connection import SocketSession


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

    async def parse_http_body(self, request: Any) -> Any:
        try:
            return await super().parse_http_body(request)
        except (AttributeError, TypeError) as exc:  # valid JSON, but not an object
            raise HTTPException(400, "The request body must be a JSON object.") from exc

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        meta = RequestMeta(
            address=request.client.host if request.client else "unknown",
            request_id=request_id_var.get(),
            lang=pick_language(request.headers.get("accept-language")),
        )
        return Context(
            services=self.services, request=request, meta=meta, loaders=Loaders(self.services)
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate at connection_init (API-5); no token means an anonymous socket."""
        try:
            token = bearer_token(context._authorization())
            if token is None:
                return UNSET
            principal = await authenticate(self.services, token)
        except DomainError as exc:
            raise ConnectionRejectionError(
                {
                    "code": exc.code,
                    "reason": exc.reason,
                    "message": message_for(exc.code, context.lang),
                }
            ) from exc
        context._principal = principal
        socket = SocketSession(self.services, context.request, principal)
        context.request.state.socket_session = socket
        context.socket = socket
        await socket.start()
        return UNSET
