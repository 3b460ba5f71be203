"""Observability (no secret in any log line) and the separate `tessera worker` process."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from core.settings import Settings
from tests.accounts import PASSWORD, grant_role, login, sign_up
from tests.client import GraphQLClient
from tests.e2e.processes import api_process, process_env, tessera

REFRESH = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }"
CHANGE = (
    "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }"
)
WRONG_PASSWORD = "Wrong-But-Secret-77!"
NEW_PASSWORD = "Another-Secret-88!"


async def test_full_login_flow_logs_no_secret(
    settings: Settings, tmp_path: Path, unique_email
) -> None:
    log_path = tmp_path / "api.log"
    with api_process(
        settings, log_path, TESSERA_LOG_LEVEL="DEBUG", TESSERA_OTEL_EXPORTER="console"
    ) as api:
        client = GraphQLClient(api.base_url)
        try:
            email = unique_email()
            await sign_up(client, email)
            await client.post(
                "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
                {"i": {"email": email, "password": WRONG_PASSWORD, "deviceId": "d"}},
            )
            session = await login(client, email)
            rotated = (await client.data(REFRESH, {"t": session.refresh_token}))["refreshSession"]
            await client.post(REFRESH, {"t": session.refresh_token})  # re-use ends the session
            again = await login(client, email, device="tablet")
            await client.data(CHANGE, {"c": PASSWORD, "n": NEW_PASSWORD}, token=again.access_token)
            await client.http.get(
                "/graphql",
                params={"query": "{ me { id } }"},
                headers={"authorization": f"Bearer {again.access_token}"},
            )
            await client.post("{ me { id } }", token=again.access_token + "tampered")
        finally:
            await client.aclose()
    logs = log_path.read_text()
    secrets = [
        PASSWORD,
        WRONG_PASSWORD,
        NEW_PASSWORD,
        session.access_token,
        session.refresh_token,
        rotated["accessToken"],
        rotated["refreshToken"],
        again.access_token,
        again.refresh_token,
        session.refresh_token.split(".", 1)[1],  # the secret half of a refresh token
    ]
    for secret in secrets:
        assert secret not in logs
    request_lines = [
        json.loads(line)
        for line in logs.splitlines()
        if line.startswith("{") and '"event": "request"' in line
    ]
    assert len(request_lines) >= 8
    assert all(line["request_id"] and line["trace_id"] for line in request_lines)
    assert all("?" not in line["path"] for line in request_lines)


async def test_worker_process_relays_the_outbox(
    settings: Settings, tmp_path: Path, unique_email
) -> None:
    """With workers out of the API process, `tessera worker` publishes committed domain events."""
    from persistence.redis import connect_redis

    assert settings.redis_url
    redis = connect_redis(settings.redis_url)
    with api_process(settings, tmp_path / "api.log", TESSERA_IN_PROCESS_WORKERS="0") as api:
        client = GraphQLClient(api.base_url)
        try:
            admin_email, email = unique_email("admin"), unique_email()
            admin_id = await sign_up(client, admin_email)
            user_id = await sign_up(client, email)
            from tests.conftest import running_api

            async with running_api(settings) as local:  # only to reach the database helpers
                await grant_role(local.services, admin_id, "admin")
            admin = await login(client, admin_email)
            pubsub = redis.pubsub()
            await pubsub.subscribe(f"{settings.redis_namespace}topic:user:{user_id}")
            await client.data(
                'mutation($u: ID!) { assignRole(userId: $u, role: "support") { id } }',
                {"u": user_id},
                token=admin.access_token,
            )
            assert (
                await _next_message(pubsub, timeout=1.0) is None
            )  # no worker yet: nothing relayed
            with tessera(["worker"], process_env(settings), tmp_path / "worker.log"):
                message = await _next_message(pubsub, timeout=20)
            assert message is not None
            assert json.loads(message["data"]) == {
                "kind": "ROLES_CHANGED",
                "role": "support",
                "change": "granted",
            }
            await pubsub.aclose()
        finally:
            await client.aclose()
            await redis.aclose()


async def _next_message(pubsub, timeout: float):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message:
            return message
    return None
