"""Shared benchmark machinery: stores, a fresh database, processes, and wrk runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from core.settings import Settings
from persistence.admin import admin_execute, with_database
from persistence.embedded import start_embedded
from persistence.migrate import upgrade_sync
from stand_ins.process import start_payment_provider

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Stores:
    database_url: str  # of the benchmark's own database
    redis_url: str
    payment_provider_url: str

    def settings(self, name: str, **overrides: Any) -> Settings:
        """Settings for an in-process benchmark against these stores, in a fresh namespace."""
        return Settings(
            environment="test",
            database_url=self.database_url,
            redis_url=self.redis_url,
            redis_namespace=f"bench-{name}-{uuid.uuid4().hex[:8]}:",
            payment_provider_url=self.payment_provider_url,
            **overrides,
        )


@contextmanager
def bench_stores(database: str) -> Iterator[Stores]:
    """DATABASE_URL/REDIS_URL when set, else embedded servers under .data/bench; a fresh database."""
    import asyncio

    server_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    embedded = None
    if not (server_url and redis_url):
        embedded = start_embedded(ROOT / ".data" / "bench")
        server_url, redis_url = server_url or embedded.database_url, redis_url or embedded.redis_url
    asyncio.run(
        admin_execute(
            server_url,
            f"DROP DATABASE IF EXISTS {database} WITH (FORCE)",
            f"CREATE DATABASE {database}",
        )
    )
    if not os.environ.get("REDIS_URL"):  # the benchmarks' own Redis: start empty, like the db
        import redis

        redis.Redis.from_url(redis_url).flushall()
    url = with_database(server_url, database)
    upgrade_sync(url)
    provider = start_payment_provider(Path(tempfile.mkdtemp(prefix="bench-pay-")) / "journal.jsonl")
    try:
        yield Stores(url, redis_url, provider.url)
    finally:
        provider.stop()
        if embedded is not None:
            embedded.close()


@contextmanager
def server(name: str, command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """Run a server process until the block ends; yields its base URL once it answers."""
    log_path = Path(tempfile.gettempdir()) / f"tessera-bench-{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited; see {log_path}")
            try:
                httpx.get(base + "/graphql", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(20)


def tessera_server(name: str, stores: Stores, port: int, **env: str) -> contextmanager:
    return server(
        name,
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        {
            "DATABASE_URL": stores.database_url,
            "REDIS_URL": stores.redis_url,
            "TESSERA_PAYMENT_PROVIDER_URL": stores.payment_provider_url,
            "TESSERA_REDIS_NAMESPACE": f"bench-{name}-{uuid.uuid4().hex[:8]}:",  # nothing cached from earlier runs
            "TESSERA_IN_PROCESS_WORKERS": "0",
            "TESSERA_LOG_LEVEL": "WARNING",
            "TESSERA_ENV": "test",
            **env,
        },
        port,
    )


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(url: str, body: str, *, connections: int, seconds: int, threads: int = 2) -> LoadResult:
    """POST `body` to `url` with wrk (a C load generator) and parse its report."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (make bench does this)")
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    quoted = body.replace("]]", "] ]")  # a Lua long string: no escapes are processed
    script.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[{quoted}]]\n'
    )
    output = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "60s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script.unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return LoadResult(rps, p50, p99, int(errors.group(1)) if errors else 0)


def table(rows: list[tuple[str, LoadResult]]) -> str:
    lines = [f"{'target':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"]
    lines += [
        f"{name:<34}{r.requests_per_second:>10.1f}{r.p50_ms:>10.1f}{r.p99_ms:>10.1f}{r.errors:>8}"
        for name, r in rows
    ]
    return "\n".join(lines)
