"""Imports flow one way (docs/architecture.md, "Layers"): import-linter checks the contracts
in pyproject.toml ([tool.importlinter]) against the real import graph."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")
PACKAGES = (
    "server", "schema", "resolvers", "dataloaders", "auth", "workflows", "persistence",
    "subscriptions", "core",
)  # fmt: skip


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        check=False,
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )


def test_imports_follow_the_layers() -> None:
    run = lint(ROOT)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


@pytest.mark.parametrize(
    ("module", "source", "reported"),
    [
        (
            "persistence/upward.py",
            "import resolvers.identity\n",
            "persistence.upward -> resolvers.identity",
        ),
        ("resolvers/sql.py", "import sqlalchemy\n", "resolvers.sql -> sqlalchemy"),
        ("schema/cycle.py", "import schema.orders\n", None),
    ],
    ids=["upward", "sql-outside-persistence", "harmless"],
)
def test_the_contracts_can_fail(
    tmp_path: Path, module: str, source: str, reported: str | None
) -> None:
    """The same tree with one import added: an upward import or SQL outside persistence is
    refused and the report names it; an allowed import still passes."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    (tmp_path / module).write_text(source)
    run = lint(tmp_path)
    if reported is None:
        assert run.returncode == 0, run.stdout[-3000:]
    else:
        assert run.returncode != 0
        assert reported in run.stdout
