"""Imports flow one way (docs/architecture.md, "Layers"): import-linter checks the contracts
in pyproject.toml ([tool.importlinter]) against the real import graph."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """The check can fail: the same tree with one persistence module importing a use case
    is refused, and the report names the import."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    (tmp_path / "persistence" / "upward.py").write_text("import resolvers.identity\n")
    run = lint(tmp_path)
    assert run.returncode != 0
    assert "persistence.upward -> resolvers.identity" in run.stdout
