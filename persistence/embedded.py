"""Embedded PostgreSQL and Redis for a data folder, shared by every process that uses it.

Used when DATABASE_URL / REDIS_URL are not set: real servers under the data folder, reached
through the same code path as external ones. One supervisor process per data folder
(persistence/embedded_supervisor.py) starts and stops both servers; each process that uses
them holds a connection to the supervisor's socket (a lease) for as long as it runs. The
kernel closes that connection however the process ends (exit, SIGTERM, a crash or SIGKILL),
and the supervisor stops the servers when the last lease closes. So a short command never
stops servers that a running `tessera serve` uses, and no ending leaves them orphaned.
"""

from __future__ import annotations

import fcntl
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SOCKET_NAME = "stores.sock"
LOCK_NAME = "stores.lock"
STATE_NAME = "stores.json"  # pids of the supervisor and both servers, for operators and tests
LOG_NAME = "stores.log"
_START_TIMEOUT_SECONDS = 120


@dataclass
class EmbeddedStores:
    database_url: str
    redis_url: str
    pids: dict[str, int]  # supervisor, postgres, redis
    _lease: socket.socket = field(repr=False)
    _supervisor: subprocess.Popen[bytes] | None = field(default=None, repr=False)  # ours

    def close(self) -> None:
        """Give the lease back; the supervisor stops the servers once nobody holds one."""
        self._lease.close()

    def wait_stopped(self, timeout: float = 60) -> bool:
        """After close(): wait until the supervisor (and so both servers) ended, when this
        process held the last lease. False if it still runs (another process holds one)."""
        try:
            if self._supervisor is not None:  # our child: wait() also reaps it
                self._supervisor.wait(timeout)
            else:
                psutil.Process(self.pids["supervisor"]).wait(timeout)
        except psutil.NoSuchProcess:
            pass
        except (psutil.TimeoutExpired, subprocess.TimeoutExpired):
            return False
        return True


@contextmanager
def _data_dir_lock(data_dir: Path) -> Iterator[None]:
    """Serialises joining with the supervisor's decision to stop (it takes this lock too)."""
    with (data_dir / LOCK_NAME).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _connect(path: Path) -> socket.socket | None:
    lease = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        lease.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError):  # never started, or died: stale file
        lease.close()
        return None
    return lease


def _spawn_supervisor(data_dir: Path) -> subprocess.Popen[bytes]:
    """Start the supervisor in its own session (a terminal's Ctrl-C reaches only its clients)
    and wait until it says the servers are up."""
    with (data_dir / LOG_NAME).open("ab") as log:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "persistence.embedded_supervisor", str(data_dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
        )
    assert supervisor.stdout is not None
    with supervisor.stdout:
        ready = supervisor.stdout.readline()  # the supervisor's exit ends it with b""
    if ready.strip() != b"ready":
        supervisor.wait(_START_TIMEOUT_SECONDS)
        tail = (data_dir / LOG_NAME).read_text(errors="replace")[-4000:]
        raise RuntimeError(f"embedded stores did not start (see {data_dir / LOG_NAME}):\n{tail}")
    return supervisor


def start_embedded(data_dir: Path) -> EmbeddedStores:
    """Join the embedded servers under data_dir, starting them when nobody runs them."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SOCKET_NAME
    supervisor = None
    with _data_dir_lock(data_dir):
        lease = _connect(path)
        if lease is None:
            path.unlink(missing_ok=True)
            supervisor = _spawn_supervisor(data_dir)
            lease = _connect(path)
            if lease is None:
                raise RuntimeError(f"embedded stores supervisor is not listening on {path}")
    # Read the greeting outside the lock: the supervisor accepts while holding it.
    lease.settimeout(_START_TIMEOUT_SECONDS)
    with lease.makefile("rb") as reader:
        greeting = json.loads(reader.readline())
    lease.settimeout(None)
    return EmbeddedStores(
        greeting["database_url"], greeting["redis_url"], greeting["pids"], lease, supervisor
    )


def read_state(data_dir: Path) -> dict[str, int] | None:
    """Pids of the supervisor and servers last started under data_dir (None: never)."""
    state = data_dir.resolve() / STATE_NAME
    return json.loads(state.read_text()) if state.exists() else None
