"""Start real `tessera` processes on loopback ports, sharing the test's PostgreSQL and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.settings import Settings
from stand_ins.process import free_port


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    assert settings.database_url and settings.redis_url
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "TESSERA_REDIS_NAMESPACE": settings.redis_namespace,
        "TESSERA_ENV": "test",
        "TESSERA_PAYMENT_PROVIDER_URL": settings.payment_provider_url or "",
        "TESSERA_PAYMENT_TIMEOUT_SECONDS": str(settings.payment_timeout_seconds),
        "TESSERA_SAGA_LEASE_SECONDS": str(settings.saga_lease_seconds),
        "TESSERA_RESERVATION_LEASE_SECONDS": str(settings.reservation_lease_seconds),
        **extra,
    }


def run_cli(
    settings: Settings, *args: str, stdin: str = "", **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """One `tessera` command to its end (commands that refuse to start end at once)."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=process_env(settings, **extra_env),
        timeout=120,
        check=False,
    )


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    log_path: Path
    base_url: str | None = None

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


@contextmanager
def tessera(
    args: list[str],
    env: dict[str, str],
    log_path: Path,
    *,
    http_port: int | None = None,
    ready_timeout: float = 60,
) -> Iterator[Process]:
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            [sys.executable, "-m", "server.cli", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    process = Process(popen, log_path, f"http://127.0.0.1:{http_port}" if http_port else None)
    try:
        if process.base_url:
            _wait_ready(process, ready_timeout)
        yield process
    finally:
        process.stop()


@contextmanager
def api_process(settings: Settings, log_path: Path, **extra_env: str) -> Iterator[Process]:
    port = free_port()
    with tessera(
        ["serve", "--port", str(port)], process_env(settings, **extra_env), log_path, http_port=port
    ) as process:
        yield process


def _wait_ready(process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"tessera exited early:\n{process.logs()}")
        try:
            if httpx.get(f"{process.base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"tessera did not become ready:\n{process.logs()}")
