"""Process lifecycle on embedded stores, as an operator runs it: `tessera serve` on an empty
data folder migrates and serves; short commands beside it leave its stores running; SIGTERM,
SIGINT and SIGKILL of `serve` leave no process behind. Against an external database an old
schema stops `serve` with one line and exit code 2."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest
from alembic import command

from core.settings import Settings
from persistence.admin import admin_execute, with_database
from persistence.embedded import read_state
from persistence.migrate import alembic_config, upgrade
from stand_ins.process import free_port
from tests import stores as test_stores
from tests.accounts import login
from tests.client import GraphQLClient
from tests.e2e.processes import Process, api_process, run_cli, tessera

# initdb, then every migration on an empty database, on a busy two-core machine.
EMBEDDED_START = 180
OPERATOR = "ops@lifecycle.test"
OPERATOR_PASSWORD = "Operator-Lifecycle-61!"


def _embedded_env(data_dir: Path) -> dict[str, str]:
    """No store URLs: `tessera` runs its own PostgreSQL and Redis under data_dir."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "REDIS_URL", "TESSERA_PAYMENT_PROVIDER_URL"}
    }
    return {**env, "TESSERA_DATA_DIR": str(data_dir), "TESSERA_ENV": "test"}


def _command(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


def _local_processes(serve: Process, data_dir: Path) -> dict[str, int]:
    """Pids of what `serve` runs beside itself: the stores' supervisor, PostgreSQL (as its own
    postmaster.pid says), Redis and the payment stand-in (serve's child)."""
    state = read_state(data_dir)
    assert state is not None, "no embedded stores were started"
    postmaster = int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])
    assert postmaster == state["postgres"]
    children = psutil.Process(serve.popen.pid).children()
    stand_ins = [c.pid for c in children if "stand_ins.payment_provider" in " ".join(c.cmdline())]
    assert len(stand_ins) == 1, children
    return {**state, "payment stand-in": stand_ins[0]}


def _assert_all_gone(pids: dict[str, int]) -> None:
    processes = [psutil.Process(pid) for pid in pids.values() if psutil.pid_exists(pid)]
    _, alive = psutil.wait_procs(processes, timeout=60)
    left = {name: pid for name, pid in pids.items() if any(p.pid == pid for p in alive)}
    assert not left, f"still running: {left}"


def _crashed(logs: str) -> bool:
    """An uncaught exception's traceback (a logged one sits inside a JSON line)."""
    return any(line.startswith("Traceback (most recent call last)") for line in logs.splitlines())


async def _answers(base_url: str) -> None:
    """Ready, and a login (PostgreSQL and Redis both) succeeds."""
    client = GraphQLClient(base_url)
    try:
        assert (await client.http.get("/readyz")).status_code == 200
        session = await login(client, OPERATOR, OPERATOR_PASSWORD)
        assert session.access_token
    finally:
        await client.aclose()


async def test_serve_on_an_empty_folder_then_short_commands_beside_it_then_sigterm(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    env = _embedded_env(data_dir)
    port = free_port()
    with tessera(
        ["serve", "--port", str(port)],
        env,
        tmp_path / "serve.log",
        http_port=port,
        ready_timeout=EMBEDDED_START,
    ) as serve:
        base_url = f"http://127.0.0.1:{port}"
        pids = _local_processes(serve, data_dir)
        stores = read_state(data_dir)
        assert stores is not None
        created = _command(
            env, "create-user", OPERATOR, "--role", "support", stdin=OPERATOR_PASSWORD + "\n"
        )
        assert created.returncode == 0, created.stderr
        await _answers(base_url)
        for command in (
            ["migrate"],
            ["seed-demo", "--catalog-size", "0"],
            ["rotate-signing-key"],
            ["create-user", "second@lifecycle.test", "--role", "support"],
        ):
            done = _command(env, *command, stdin=OPERATOR_PASSWORD + "\n")
            assert done.returncode == 0, (command, done.stderr)
            await _answers(base_url)
            # The same servers, still running: nobody stopped them, nobody started new ones.
            assert read_state(data_dir) == stores
            assert all(psutil.pid_exists(pid) for pid in stores.values())
        serve.popen.send_signal(signal.SIGTERM)
        assert serve.popen.wait(60) == 128 + signal.SIGTERM
    _assert_all_gone(pids)
    assert not _crashed(serve.logs()), serve.logs()


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
async def test_serve_leaves_no_process_behind(tmp_path: Path, how: signal.Signals) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    with tessera(
        ["serve", "--port", str(port)],
        _embedded_env(data_dir),
        tmp_path / "serve.log",
        http_port=port,
        ready_timeout=EMBEDDED_START,
    ) as serve:
        pids = _local_processes(serve, data_dir)
        serve.popen.send_signal(how)
        serve.popen.wait(60)
    _assert_all_gone(pids)
    if how == signal.SIGINT:
        assert not _crashed(serve.logs()), serve.logs()


async def test_serve_refuses_an_old_schema_on_an_external_database(
    stores: test_stores.TestStores, settings: Settings, tmp_path: Path
) -> None:
    name = "lifecycle_unmigrated"
    await admin_execute(
        stores.database_url,
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        f"CREATE DATABASE {name}",
    )
    external = settings.but(database_url=with_database(stores.database_url, name))
    try:
        empty = run_cli(external, "serve", "--port", str(free_port()))
        lines = empty.stderr.strip().splitlines()
        assert empty.returncode == 2
        assert len(lines) == 1 and "run `tessera migrate`" in lines[0], empty.stderr

        assert external.database_url
        await upgrade(external.database_url)
        await asyncio.to_thread(command.downgrade, alembic_config(external.database_url), "-1")
        behind = run_cli(external, "serve", "--port", str(free_port()))
        assert behind.returncode == 2 and "run `tessera migrate`" in behind.stderr, behind.stderr
        assert "Traceback" not in behind.stderr

        assert run_cli(external, "migrate").returncode == 0
        with api_process(external, tmp_path / "api.log") as api:
            async with httpx.AsyncClient(base_url=api.base_url) as client:
                assert (await client.get("/readyz")).status_code == 200
    finally:
        await admin_execute(stores.database_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
