"""Every subgraph as its own `tessera serve --subgraph NAME` process, and a real Apollo
Gateway (node) in front of them, serving a supergraph composed from what they answer."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.settings import Settings
from stand_ins.process import free_port
from tests.e2e.gateway.supergraph import GATEWAY_DIR, SubgraphSdl, compose
from tests.e2e.processes import Process, process_env, tessera


@dataclass
class Federation:
    subgraphs: dict[str, Process]
    gateway_url: str
    supergraph: str

    def subgraph_url(self, name: str) -> str:
        base_url = self.subgraphs[name].base_url
        assert base_url
        return base_url


def served_sdl(process: Process) -> str:
    """What rover's `subgraph introspect` reads: the subgraph's own `_service { sdl }`."""
    answer = httpx.post(
        f"{process.base_url}/graphql", json={"query": "{ _service { sdl } }"}, timeout=30
    )
    return answer.json()["data"]["_service"]["sdl"]


@contextmanager
def gateway_process(supergraph_file: Path, log_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with log_path.open("wb") as log:
        node = subprocess.Popen(
            ["node", str(GATEWAY_DIR / "gateway.mjs"), str(supergraph_file), str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_answering(node, url, log_path)
        yield url
    finally:
        node.terminate()
        try:
            node.wait(15)
        except subprocess.TimeoutExpired:
            node.kill()
            node.wait()


def _wait_answering(node: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if node.poll() is not None:
            raise RuntimeError(f"the gateway exited early:\n{log_path.read_text()}")
        try:
            answer = httpx.post(url, json={"query": "{ __typename }"}, timeout=1)
            if answer.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"the gateway did not answer:\n{log_path.read_text()}")


@contextmanager
def federation(settings: Settings, names: list[str], folder: Path) -> Iterator[Federation]:
    with ExitStack() as stack:
        subgraphs: dict[str, Process] = {}
        for n, name in enumerate(names):
            port = free_port()
            # One process runs the background workers (sagas, outbox, queues), as one
            # `tessera worker` beside the API processes would; the others only serve.
            workers = "1" if n == 0 else "0"
            subgraphs[name] = stack.enter_context(
                tessera(
                    ["serve", "--subgraph", name, "--port", str(port)],
                    process_env(settings, TESSERA_IN_PROCESS_WORKERS=workers),
                    folder / f"{name}.log",
                    http_port=port,
                )
            )
        supergraph = compose(
            [
                SubgraphSdl(name, f"{process.base_url}/graphql", served_sdl(process))
                for name, process in subgraphs.items()
            ]
        )
        supergraph_file = folder / "supergraph.graphql"
        supergraph_file.write_text(supergraph)
        stack.callback(_interrupt_together, list(subgraphs.values()))
        url = stack.enter_context(gateway_process(supergraph_file, folder / "gateway.log"))
        yield Federation(subgraphs, url, supergraph)


def _interrupt_together(processes: list[Process]) -> None:
    """SIGINT to every subgraph at once, so their graceful shutdowns overlap; each
    `Process.stop` then only waits for (or kills) its own."""
    for process in processes:
        if process.popen.poll() is None:
            process.popen.send_signal(signal.SIGINT)
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.popen.wait(15)
