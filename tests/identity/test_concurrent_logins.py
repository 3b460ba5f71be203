"""ID-4 under real concurrency: 50 devices log in to one account at the same moment."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from persistence.models.audit import AuditLog
from tests.accounts import LOGIN, ME, PASSWORD, sign_up
from tests.conftest import Api

DEVICES = 50


async def test_fifty_simultaneous_logins_leave_exactly_one_session(api: Api, unique_email) -> None:
    email = unique_email()
    await sign_up(api.client, email)
    limits = httpx.Limits(max_connections=DEVICES)
    async with httpx.AsyncClient(base_url=api.base_url, timeout=120, limits=limits) as http:

        async def log_in(device: int) -> dict:
            variables = {
                "input": {"email": email, "password": PASSWORD, "deviceId": f"device-{device}"}
            }
            response = await http.post("/graphql", json={"query": LOGIN, "variables": variables})
            return response.json()["data"]["login"]

        logins = await asyncio.gather(*(log_in(n) for n in range(DEVICES)))
        assert len({login["session"]["id"] for login in logins}) == DEVICES

        async def me(token: str) -> dict:
            response = await http.post(
                "/graphql", json={"query": ME}, headers={"authorization": f"Bearer {token}"}
            )
            return response.json()

        answers = await asyncio.gather(*(me(login["accessToken"]) for login in logins))

    live = [a for a in answers if not a.get("errors")]
    codes = [a["errors"][0]["extensions"]["code"] for a in answers if a.get("errors")]
    assert len(live) == 1
    assert codes == ["SESSION_REPLACED"] * (DEVICES - 1)
    keys = [
        key
        async for key in api.services.redis.scan_iter(match=f"{api.services.keys.namespace}sess:*")
    ]
    assert len(keys) == 1
    async with api.services.db.read() as connection:
        ended = await connection.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "identity.session_ended")
        )
    assert ended == DEVICES - 1
