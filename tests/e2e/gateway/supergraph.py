"""A static supergraph of Tessera's subgraphs, composed by Apollo's own composition library.

`python -m tests.e2e.gateway.supergraph` (what `make supergraph` runs) composes the SDL
each subgraph prints (`tessera sdl --subgraph NAME`) and writes the supergraph that Apollo
Gateway or the router serve with `supergraphSdl`. Each subgraph's routing URL defaults to
`http://127.0.0.1:400N/graphql` in SUBGRAPHS order; `--url NAME=URL` changes one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

GATEWAY_DIR = Path(__file__).parent
FIRST_PORT = 4001


@dataclass(frozen=True)
class SubgraphSdl:
    name: str
    url: str
    sdl: str


class CompositionFailed(RuntimeError):
    pass


def compose(subgraphs: list[SubgraphSdl]) -> str:
    """The supergraph SDL; CompositionFailed with Apollo's error codes when they disagree."""
    done = subprocess.run(
        ["node", str(GATEWAY_DIR / "compose.mjs")],
        input=json.dumps([asdict(s) for s in subgraphs]),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise CompositionFailed(done.stderr.strip() or f"node exited {done.returncode}")
    return done.stdout


def default_urls() -> dict[str, str]:
    from schema import SUBGRAPHS

    return {name: f"http://127.0.0.1:{FIRST_PORT + n}/graphql" for n, name in enumerate(SUBGRAPHS)}


def main(argv: list[str] | None = None) -> None:
    from schema import SUBGRAPHS, build_schema

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(".data/supergraph.graphql"))
    parser.add_argument("--url", action="append", default=[], metavar="NAME=URL")
    args = parser.parse_args(argv)
    given = dict(item.split("=", 1) for item in args.url if "=" in item)
    if len(given) != len(args.url) or not given.keys() <= SUBGRAPHS.keys():
        parser.error(f"--url takes NAME=URL with NAME one of {', '.join(SUBGRAPHS)}")
    urls = default_urls() | given
    supergraph = compose(
        [SubgraphSdl(name, urls[name], build_schema(subgraph=name).as_str()) for name in SUBGRAPHS]
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(supergraph)
    print(f"supergraph written to {args.out}")
    for name in SUBGRAPHS:
        print(f"  {name}: tessera serve --subgraph {name}  ->  {urls[name]}")


if __name__ == "__main__":
    main()
