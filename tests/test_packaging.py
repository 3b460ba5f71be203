"""Our top-level package names exist on PyPI too: make sure ours are the ones imported."""

from pathlib import Path

import auth
import core
import dataloaders
import persistence
import resolvers
import schema
import server
import subscriptions
import workflows

ROOT = Path(__file__).resolve().parents[1]


def test_our_packages_are_imported_from_this_repository() -> None:
    for package in (
        schema,
        auth,
        resolvers,
        dataloaders,
        persistence,
        server,
        subscriptions,
        workflows,
        core,
    ):
        assert Path(package.__file__).resolve().is_relative_to(ROOT), package.__file__
