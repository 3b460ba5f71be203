"""ID-4 across processes: two real `tessera serve` instances share PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.settings import Settings
from tests.accounts import ME, PASSWORD, login, sign_up
from tests.client import GraphQLClient
from tests.e2e.processes import api_process

SESSION_EVENTS = "subscription { sessionEvents { kind reason } }"


async def test_socket_on_a_learns_of_a_login_through_b(
    settings: Settings, tmp_path: Path, unique_email
) -> None:
    with (
        api_process(settings, tmp_path / "a.log") as a,
        api_process(settings, tmp_path / "b.log") as b,
    ):
        client_a, client_b = GraphQLClient(a.base_url), GraphQLClient(b.base_url)
        try:
            email = unique_email()
            await sign_up(client_a, email)
            phone = await login(client_a, email, device="phone")
            async with client_a.socket(phone.access_token) as socket:
                await socket.subscribe(SESSION_EVENTS)
                laptop = await login(client_b, email, device="laptop")
                event = (await socket.receive())["payload"]["data"]["sessionEvents"]
                assert event["kind"] == "SESSION_REPLACED"
                assert (await socket.receive())["type"] == "complete"
                assert (await socket.closed()).reason == "SESSION_REPLACED"
            # Either process refuses the old token and serves the new one.
            for client in (client_a, client_b):
                assert (await client.error(ME, token=phone.access_token))["extensions"][
                    "code"
                ] == "SESSION_REPLACED"
                assert (await client.data(ME, token=laptop.access_token))["me"][
                    "id"
                ] == laptop.user_id
        finally:
            await client_a.aclose()
            await client_b.aclose()


async def test_concurrent_logins_spread_over_two_processes(
    settings: Settings, tmp_path: Path, unique_email
) -> None:
    with (
        api_process(settings, tmp_path / "a.log") as a,
        api_process(settings, tmp_path / "b.log") as b,
    ):
        clients = [GraphQLClient(a.base_url), GraphQLClient(b.base_url)]
        try:
            email = unique_email()
            await sign_up(clients[0], email)
            login_doc = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }"
            results = await asyncio.gather(
                *(
                    clients[n % 2].data(
                        login_doc,
                        {"i": {"email": email, "password": PASSWORD, "deviceId": f"d{n}"}},
                    )
                    for n in range(30)
                )
            )
            tokens = [r["login"]["accessToken"] for r in results]
            answers = await asyncio.gather(
                *(clients[n % 2].post(ME, token=t) for n, t in enumerate(tokens))
            )
            live = [answer for answer in answers if not answer.get("errors")]
            assert len(live) == 1
            assert {a["errors"][0]["extensions"]["code"] for a in answers if a.get("errors")} == {
                "SESSION_REPLACED"
            }
        finally:
            for client in clients:
                await client.aclose()
