"""The typed per-request (or per-socket) context every resolver receives."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import strawberry
from starlette.requests import Request
from starlette.websockets import WebSocket

from auth.principal import Principal, authenticate, bearer_token
from core.errors import Unauthenticated
from dataloaders import Loaders
from persistence.unit_of_work import Session, UnitOfWork
from resolvers.services import RequestMeta, Services

if TYPE_CHECKING:
    from auth.socket_session import SocketSession


@dataclass
class Context:
    services: Services
    request: Request | WebSocket
    meta: RequestMeta
    loaders: Loaders
    connection_params: dict[str, Any] | None = None  # graphql-transport-ws connection_init payload
    socket: SocketSession | None = None
    _principal: Principal | None = field(default=None, repr=False)
    _unit: UnitOfWork | None = field(default=None, repr=False)
    _authenticating: asyncio.Future[Principal] | None = field(default=None, repr=False)

    @property
    def over_socket(self) -> bool:
        return isinstance(self.request, WebSocket)

    @property
    def lang(self) -> str:
        return self.meta.lang

    def _authorization(self) -> str | None:
        if self.connection_params is not None:
            value = self.connection_params.get("authorization") or self.connection_params.get(
                "Authorization"
            )
            return value if isinstance(value, str) else None
        return self.request.headers.get("authorization")

    async def optional_principal(self) -> Principal | None:
        """The caller, or None when no token was sent; a bad token raises its code."""
        if self._principal is None:
            token = bearer_token(self._authorization())
            if token is None:
                return None
            if self._authenticating is None:
                # Fields resolved side by side share one check, so their loads still batch.
                self._authenticating = asyncio.ensure_future(
                    authenticate(self.services.tokens, self.services.sessions, token)
                )
            self._principal = await self._authenticating
        return self._principal

    async def principal(self) -> Principal:
        principal = await self.optional_principal()
        if principal is None:
            raise Unauthenticated("no access token", reason="NO_TOKEN")
        return principal

    def unit_of_work(self) -> UnitOfWork:
        """The request's unit of work, opened on first use; schema/mutations.py commits it
        once after each mutation field, and nothing else does."""
        if self._unit is None:
            self._unit = self.services.db.begin()
        return self._unit

    def db(self) -> Session:
        return self.unit_of_work().session

    async def commit(self) -> None:
        if self._unit is not None:
            await self._unit.commit()

    async def rollback(self) -> None:
        if self._unit is not None:
            await self._unit.rollback()

    async def close(self) -> None:
        if self._unit is not None:
            await self._unit.close()  # rolls back anything not committed
            self._unit = None


def new_loaders(services: Services) -> Loaders:
    """Fresh DataLoaders for one operation (never shared between operations)."""
    return Loaders(
        services.db, services.catalog_cache, batching=services.settings.dataloader_batching
    )


Info = strawberry.Info[Context, None]
