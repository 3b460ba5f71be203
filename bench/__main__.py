"""`python -m bench [section ...]`: run benchmarks and print tables with same-run baselines."""

from __future__ import annotations

import argparse

from bench import catalog, orders, reservations
from server.runtime import raise_open_files_limit

SECTIONS = {"catalog": catalog.run, "orders": orders.run, "reservations": reservations.run}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("sections", nargs="*", choices=[*SECTIONS, []], default=list(SECTIONS))
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    raise_open_files_limit()  # 500 clients and their server share this machine's limit
    for section in args.sections or SECTIONS:
        print(f"== {section} ==")
        SECTIONS[section](seconds=args.seconds)


if __name__ == "__main__":
    main()
