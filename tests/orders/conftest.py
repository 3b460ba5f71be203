from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import Api, ApiFactory


@pytest.fixture
async def quiet(api_factory: ApiFactory) -> AsyncIterator[Api]:
    """An API without in-process workers: the test (or a worker process) drives the sagas."""
    async with api_factory(run_workers_in_process=False) as started:
        yield started
