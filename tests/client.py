"""Test clients: GraphQL over real HTTP, and graphql-transport-ws over a real WebSocket."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Self

import httpx
import websockets
from websockets.exceptions import ConnectionClosed


class GraphQLError(AssertionError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(json.dumps(errors, ensure_ascii=False))
        self.errors = errors

    @property
    def code(self) -> str:
        return self.errors[0]["extensions"]["code"]


class GraphQLClient:
    def __init__(self, base_url: str, *, local_address: str | None = None) -> None:
        """`local_address` (e.g. 127.0.0.7): the source address the server sees."""
        self.base_url = base_url
        transport = httpx.AsyncHTTPTransport(local_address=local_address) if local_address else None
        self.http = httpx.AsyncClient(base_url=base_url, timeout=60, transport=transport)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        operation: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        all_headers = dict(headers or {})
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation:
            body["operationName"] = operation
        response = await self.http.post("/graphql", json=body, headers=all_headers)
        assert response.status_code < 500, response.text
        return response.json()

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        result = await self.post(query, variables, **kwargs)
        if result.get("errors"):
            raise GraphQLError(result["errors"])
        return result["data"]

    async def error(
        self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """The first error of a call that must fail."""
        result = await self.post(query, variables, **kwargs)
        assert result.get("errors"), f"expected an error, got {result}"
        return result["errors"][0]

    def socket(self, token: str | None = None) -> TransportWS:
        return TransportWS(self.base_url.replace("http", "ws", 1) + "/graphql", token)


class SocketClosed(AssertionError):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"socket closed {code} {reason}")
        self.code = code
        self.reason = reason


class TransportWS:
    """A minimal graphql-transport-ws client."""

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        self.token = token
        self._next_id = 0

    async def __aenter__(self) -> Self:
        self.conn = await websockets.connect(self.url, subprotocols=["graphql-transport-ws"])
        payload = {"authorization": f"Bearer {self.token}"} if self.token else {}
        await self.conn.send(json.dumps({"type": "connection_init", "payload": payload}))
        message = await self.receive()
        assert message["type"] == "connection_ack", message
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.conn.close()

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, operation: str | None = None
    ) -> str:
        self._next_id += 1
        op_id = str(self._next_id)
        payload: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation:
            payload["operationName"] = operation
        await self.conn.send(json.dumps({"id": op_id, "type": "subscribe", "payload": payload}))
        return op_id

    async def receive(self, timeout: float = 10) -> dict[str, Any]:
        """Next non-ping message; raises SocketClosed when the server closed the socket."""
        while True:
            try:
                raw = await asyncio.wait_for(self.conn.recv(), timeout)
            except ConnectionClosed as closed:
                rcvd = closed.rcvd
                raise SocketClosed(
                    rcvd.code if rcvd else None, rcvd.reason if rcvd else ""
                ) from closed
            message = json.loads(raw)
            if message["type"] == "ping":
                await self.conn.send(json.dumps({"type": "pong"}))
                continue
            if message["type"] != "pong":
                return message

    async def closed(self, timeout: float = 10) -> SocketClosed:
        """Wait until the server closes the socket; fail on any other message."""
        try:
            message = await self.receive(timeout)
        except SocketClosed as closed:
            return closed
        raise AssertionError(f"expected the socket to close, got {message}")
