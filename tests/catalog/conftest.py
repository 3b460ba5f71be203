from __future__ import annotations

import pytest

from tests.catalog.world import World, build_world
from tests.conftest import Api


@pytest.fixture
async def world(api: Api, unique_email) -> World:
    return await build_world(api, unique_email)
