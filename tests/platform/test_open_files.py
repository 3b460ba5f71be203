"""A server process lifts its own open-files limit: 1,000 clients need more than 1,024."""

from __future__ import annotations

import resource
import subprocess
import sys

RAISE_AND_REPORT = (
    "import resource; from server.runtime import raise_open_files_limit; "
    "print(raise_open_files_limit(), resource.getrlimit(resource.RLIMIT_NOFILE)[0])"
)


def _low_soft_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


def test_soft_limit_is_raised_to_the_hard_limit() -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    reported, in_force = map(
        int,
        subprocess.run(
            [sys.executable, "-c", RAISE_AND_REPORT],
            preexec_fn=_low_soft_limit,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split(),
    )
    assert reported == in_force
    assert in_force == (hard if hard != resource.RLIM_INFINITY else 1 << 20)
