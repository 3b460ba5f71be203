"""A store out of connections is an answer the client can act on, not a crash (ID-10)."""

from __future__ import annotations

from collections.abc import Callable

from tests.accounts import ME, new_user
from tests.conftest import ApiFactory


async def test_an_exhausted_pool_answers_unavailable_then_serves_again(
    api_factory: ApiFactory, unique_email: Callable[[str], str]
) -> None:
    async with api_factory(
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout_seconds=0.5,
        run_workers_in_process=False,
    ) as api:
        user = await new_user(api.client, unique_email("busy"))
        async with api.services.db.engine.connect() as held:  # the pool's only connection
            await held.exec_driver_sql("SELECT 1")
            answer = await api.client.post(ME, token=user.access_token)
            [error] = answer["errors"]
            assert error["extensions"] == {"code": "UNAVAILABLE", "retryable": True}
            assert "Traceback" not in str(answer)
        again = await api.client.post(ME, token=user.access_token)
        assert again["data"]["me"]["id"] == user.user_id
