"""Start a stand-in as its own process on a free loopback port and wait until it answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StandIn:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()  # it exits at this EOF too (--exit-with-parent)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_payment_provider(
    state_file: Path, log_file: Path | None = None, port: int | None = None
) -> StandIn:
    port = port or free_port()
    state_file.parent.mkdir(parents=True, exist_ok=True)
    log = (log_file or state_file.with_suffix(".log")).open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stand_ins.payment_provider",
            "--port",
            str(port),
            "--state-file",
            str(state_file),
            "--exit-with-parent",
        ],
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"payment provider stand-in exited with {process.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return StandIn(process, url)
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise TimeoutError("payment provider stand-in did not start")
        time.sleep(0.05)
