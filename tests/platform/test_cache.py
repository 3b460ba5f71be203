"""The cache never stores a value that an invalidation has made stale."""

from __future__ import annotations

from tests.conftest import Api


async def test_a_slow_reader_cannot_put_back_a_stale_value(api: Api) -> None:
    cache = api.services.cache
    calls = []

    async def slow_load(names: list[str]) -> dict:
        calls.append(names)
        await cache.invalidate("thing")  # a writer commits while this reader is in the database
        return {"thing": {"v": "stale"}}

    first = await cache.get_many(["thing"], slow_load)
    assert first == {"thing": {"v": "stale"}}  # this reader gets what it read...
    redis = api.services.redis
    assert (
        await redis.get(f"{api.services.keys.namespace}cache:thing") is None
    )  # ...but did not store it

    async def fresh_load(names: list[str]) -> dict:
        calls.append(names)
        return {"thing": {"v": "fresh"}}

    cache._local.clear()  # as another process would see it
    assert await cache.get_many(["thing"], fresh_load) == {"thing": {"v": "fresh"}}
    cache._local.clear()
    assert await cache.get_many(["thing"], fresh_load) == {"thing": {"v": "fresh"}}
    assert len(calls) == 2  # the third read came from Redis
