"""The JavaScript `graphql-ws` client library (what web and mobile apps use) works against us."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.accounts import login, new_user
from tests.conftest import Api
from tests.waiting import expect_listening

SCRIPT = Path(__file__).parent / "js" / "session_events.mjs"


async def _line(stream: asyncio.StreamReader) -> dict:
    raw = await asyncio.wait_for(stream.readline(), 20)
    assert raw, "node client ended without output"
    return json.loads(raw)


async def test_graphql_ws_client_receives_session_replaced_then_close(
    api: Api, unique_email
) -> None:
    email = unique_email()
    phone = await new_user(api.client, email, device="phone")
    url = api.base_url.replace("http", "ws", 1) + "/graphql"
    listens = await expect_listening(api.services, phone.session_id)
    node = await asyncio.create_subprocess_exec(
        "node",
        str(SCRIPT),
        url,
        phone.access_token,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert await _line(node.stdout) == {"connected": True}
        await listens()  # the script's subscription is registered on the server
        await login(api.client, email, device="laptop")
        event = await _line(node.stdout)
        assert event["next"]["data"]["sessionEvents"]["kind"] == "SESSION_REPLACED"
        assert await _line(node.stdout) == {"complete": True}
        assert await _line(node.stdout) == {"closed": 4401, "reason": "SESSION_REPLACED"}
    finally:
        if node.returncode is None:
            node.kill()
        await node.wait()
