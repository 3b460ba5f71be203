"""The ASGI application: /graphql, health, JWKS and OIDC discovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from auth.tokens import ALGORITHM
from core.settings import Settings
from resolvers.services import Services
from schema import build_schema
from server import graphiql_page
from server.demo import refuse_demo_passwords
from server.graphql_view import TesseraGraphQL
from server.http import BodyLimitMiddleware, RequestContextMiddleware
from server.runtime import running_services
from server.workers import run_workers


class _Lazy:
    """Routes exist before the lifespan builds the services they need."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.view: TesseraGraphQL | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The /graphql endpoint as a raw ASGI app (HTTP and WebSocket)."""
        assert self.view is not None, "lifespan not started"
        await self.view(scope, receive, send)


def create_app(settings: Settings, *, subgraph: str | None = None) -> Starlette:
    state = _Lazy()
    schema = build_schema(settings, subgraph)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running_services(settings) as services:
            if settings.is_production:
                await refuse_demo_passwords(services)
            state.services = services
            app.state.services = services  # tests and benchmarks reach the process's services here
            state.view = TesseraGraphQL(schema, services)
            workers = (
                asyncio.create_task(run_workers(services))
                if settings.run_workers_in_process
                else None
            )
            try:
                yield
            finally:
                if workers is not None:
                    workers.cancel()
                    # Bounded: a stop must not hang on a worker; its leases expire anyway.
                    await asyncio.wait({workers}, timeout=5)

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "alive"})

    async def readyz(_: Request) -> JSONResponse:
        assert state.services is not None
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(state.services.db.ping(), 2)
            checks["postgres"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks["postgres"] = type(exc).__name__
        try:
            await asyncio.wait_for(state.services.redis.ping(), 2)
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = type(exc).__name__
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", **checks},
            status_code=200 if ready else 503,
        )

    async def jwks(_: Request) -> JSONResponse:
        assert state.services is not None
        return JSONResponse(
            state.services.tokens.jwks(), headers={"cache-control": "public, max-age=300"}
        )

    async def discovery(_: Request) -> JSONResponse:
        issuer = settings.issuer.rstrip("/")
        return JSONResponse(
            {
                "issuer": issuer,
                "jwks_uri": f"{issuer}/.well-known/jwks.json",
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": [ALGORITHM],
                "claims_supported": ["iss", "sub", "sid", "iat", "exp", "jti"],
            }
        )

    return Starlette(
        routes=[
            Route("/graphql", state),
            WebSocketRoute("/graphql", state),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/.well-known/jwks.json", jwks),
            Route("/.well-known/openid-configuration", discovery),
            *([Route("/graphiql/{name}", graphiql_page.asset)] if settings.introspection else []),
        ],
        middleware=[
            Middleware(RequestContextMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
