"""Suite fixtures: one embedded PostgreSQL + Redis per run; per test a fresh database
cloned from a migrated template, its own Redis namespace, and a real HTTP server."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette

from core.settings import Settings
from persistence.admin import with_database
from resolvers.services import Services
from server.app import create_app
from server.observability import configure_logging, configure_tracing
from server.runtime import raise_open_files_limit
from stand_ins.process import StandIn, start_payment_provider
from tests.client import GraphQLClient
from tests.stores import TestStores

configure_logging("WARNING")
configure_tracing("none")
# Before any store or server starts, so they inherit it: the load tests hold 1,000 sockets.
OPEN_FILES = raise_open_files_limit()


def pytest_report_header() -> str:
    return f"open files limit: {OPEN_FILES}"


@pytest.fixture(scope="session")
def stores() -> Iterator[TestStores]:
    started = TestStores.start()
    yield started
    started.close()


@pytest.fixture(scope="session")
def payment_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    """The payment provider stand-in: its own process, shared by the run (faults: see orders)."""
    provider = start_payment_provider(tmp_path_factory.mktemp("payments") / "journal.jsonl")
    yield provider
    provider.stop()


def settings_for(stores: TestStores, payment_provider: StandIn, name: str) -> Settings:
    """Settings for the servers of one test database `name` (shortened leases and timeouts)."""
    return Settings(
        environment="test",
        database_url=with_database(stores.database_url, name),
        redis_url=stores.redis_url,
        redis_namespace=f"{name}:",
        db_pool_size=5,
        db_max_overflow=60,
        payment_provider_url=payment_provider.url,
        payment_timeout_seconds=2.0,
        saga_lease_seconds=3.0,
        reservation_lease_seconds=2.0,
    )


@pytest.fixture
async def settings(stores: TestStores, payment_provider: StandIn) -> AsyncIterator[Settings]:
    name = await stores.create_database()
    yield settings_for(stores, payment_provider, name)
    await stores.drop_database(name)


@dataclass
class Api:
    """A running API server on a loopback port."""

    base_url: str
    app: Starlette
    client: GraphQLClient

    @property
    def services(self) -> Services:
        return self.app.state.services

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def running_api(settings: Settings) -> AsyncIterator[Api]:
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="on",
        ws="websockets-sansio",
        timeout_keep_alive=75,  # as `tessera serve`: an idle pooled client connection stays usable
    )
    server = uvicorn.Server(config)
    sock = _free_socket()
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            sock.close()  # a server that failed to start leaves no socket behind
            task.result()
        await asyncio.sleep(0.01)
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    client = GraphQLClient(base_url)
    try:
        yield Api(base_url, app, client)
    finally:
        await client.aclose()
        server.should_exit = True
        await task
        sock.close()


ApiFactory = Callable[..., AbstractAsyncContextManager[Api]]


@pytest.fixture
def api_factory(settings: Settings) -> ApiFactory:
    """`async with api_factory(session_idle_seconds=2) as api:` — a server with other settings."""

    def make(**overrides: Any) -> AbstractAsyncContextManager[Api]:
        return running_api(settings.but(**overrides))

    return make


@pytest.fixture
async def api(api_factory: ApiFactory) -> AsyncIterator[Api]:
    async with api_factory() as started:
        yield started


@pytest.fixture
def client(api: Api) -> GraphQLClient:
    return api.client


@pytest.fixture
def unique_email() -> Callable[[str], str]:
    return lambda prefix="user": f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


@pytest.fixture
async def world(api: Api, unique_email: Callable[[str], str]) -> Any:
    """A small catalog built through the API (see tests/catalog/world.py)."""
    from tests.catalog.world import build_world

    return await build_world(api, unique_email)


@pytest.fixture
async def quiet(api_factory: ApiFactory) -> AsyncIterator[Api]:
    """An API without in-process workers: the test (or a worker process) drives the background
    work, and statement counts see only what the request itself ran."""
    async with api_factory(run_workers_in_process=False) as started:
        yield started
