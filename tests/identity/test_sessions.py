"""Sessions: refresh rotation and theft detection, logout, idle expiry, one session per
account, and the live SESSION_* events on sockets (ID-2, ID-3, ID-4, API-5)."""

from __future__ import annotations

import asyncio

from tests.accounts import ME, login, new_user
from tests.client import GraphQLClient
from tests.conftest import Api, ApiFactory
from tests.waiting import advance_redis_clock, expect_listening

REFRESH = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken expiresIn } }"
LOGOUT = "mutation { logout }"
SESSION_EVENTS = "subscription { sessionEvents { kind reason at } }"


async def test_refresh_rotates_and_reuse_ends_the_session(
    client: GraphQLClient, unique_email
) -> None:
    session = await new_user(client, unique_email())
    first = (await client.data(REFRESH, {"t": session.refresh_token}))["refreshSession"]
    assert first["refreshToken"] != session.refresh_token
    await client.data(ME, token=first["accessToken"])
    second = (await client.data(REFRESH, {"t": first["refreshToken"]}))["refreshSession"]

    # The first, already rotated token is presented again: theft is assumed.
    reused = await client.error(REFRESH, {"t": session.refresh_token})
    assert reused["extensions"]["code"] == "TOKEN_REUSED"
    # The whole family is gone: the newest tokens fail too, with the same cause.
    assert (await client.error(ME, token=second["accessToken"]))["extensions"][
        "code"
    ] == "TOKEN_REUSED"
    assert (await client.error(REFRESH, {"t": second["refreshToken"]}))["extensions"][
        "code"
    ] == "TOKEN_REUSED"


async def test_concurrent_refreshes_of_one_token_rotate_once(
    client: GraphQLClient, unique_email
) -> None:
    session = await new_user(client, unique_email())
    results = await asyncio.gather(
        *(client.post(REFRESH, {"t": session.refresh_token}) for _ in range(10))
    )
    rotated = [r for r in results if not r.get("errors")]
    assert len(rotated) == 1, results
    # The other nine presented a rotated token: the session is ended for safety.
    assert {r["errors"][0]["extensions"]["code"] for r in results if r.get("errors")} == {
        "TOKEN_REUSED"
    }


async def test_unknown_and_malformed_refresh_tokens(client: GraphQLClient, unique_email) -> None:
    session = await new_user(client, unique_email())
    forged = session.session_id + "." + "x" * 43
    assert (await client.error(REFRESH, {"t": forged}))["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await client.error(REFRESH, {"t": "garbage"}))["extensions"][
        "code"
    ] == "UNAUTHENTICATED"
    await client.data(
        ME, token=session.access_token
    )  # a forged token does not end the real session


async def test_logout_stops_tokens_at_once(client: GraphQLClient, unique_email) -> None:
    session = await new_user(client, unique_email())
    assert (await client.data(LOGOUT, token=session.access_token))["logout"] is True
    assert (await client.error(ME, token=session.access_token))["extensions"][
        "code"
    ] == "UNAUTHENTICATED"
    assert (await client.error(REFRESH, {"t": session.refresh_token}))["extensions"][
        "code"
    ] == "UNAUTHENTICATED"


async def test_idle_timeout_expires_and_activity_slides_it(
    api_factory: ApiFactory, unique_email
) -> None:
    """Time passes on Redis's clock (the idle deadline is the session key's TTL), moved for
    this test's keys instead of waited for."""
    async with api_factory(session_idle_seconds=60) as api:
        client = api.client
        session = await new_user(client, unique_email())
        for _ in range(4):  # 4 x 45 s of activity outlives the 60 s idle timeout
            await advance_redis_clock(api.services, 45)
            await client.data(ME, token=session.access_token)
        await advance_redis_clock(api.services, 59)
        await client.data(ME, token=session.access_token)  # 59 s idle: still live
        await advance_redis_clock(api.services, 61)
        assert (await client.error(ME, token=session.access_token))["extensions"][
            "code"
        ] == "SESSION_EXPIRED"
        assert (await client.error(REFRESH, {"t": session.refresh_token}))["extensions"][
            "code"
        ] == "SESSION_EXPIRED"


async def test_new_login_replaces_the_old_session(client: GraphQLClient, unique_email) -> None:
    email = unique_email()
    phone = await new_user(client, email, device="phone")
    laptop = await login(client, email, device="laptop")
    error = await client.error(ME, token=phone.access_token)
    assert error["extensions"]["code"] == "SESSION_REPLACED"
    assert (await client.error(REFRESH, {"t": phone.refresh_token}))["extensions"][
        "code"
    ] == "SESSION_REPLACED"
    me = (await client.data(ME, token=laptop.access_token))["me"]
    assert me["session"]["deviceId"] == "laptop"


async def test_replaced_session_socket_gets_the_event_then_closes(api: Api, unique_email) -> None:
    client = api.client
    email = unique_email()
    phone = await new_user(client, email, device="phone")
    async with client.socket(phone.access_token) as socket:
        listens = await expect_listening(api.services, phone.session_id)
        op = await socket.subscribe(SESSION_EVENTS)
        await listens()
        await login(client, email, device="laptop")
        message = await socket.receive()
        assert message["type"] == "next" and message["id"] == op
        event = message["payload"]["data"]["sessionEvents"]
        assert event["kind"] == "SESSION_REPLACED"
        assert (await socket.receive())["type"] == "complete"
        closed = await socket.closed()
        assert (closed.code, closed.reason) == (4401, "SESSION_REPLACED")


async def test_socket_without_subscription_is_closed_too(
    client: GraphQLClient, unique_email
) -> None:
    session = await new_user(client, unique_email())
    async with client.socket(session.access_token) as socket:
        await client.data(LOGOUT, token=session.access_token)
        closed = await socket.closed()
        assert (closed.code, closed.reason) == (4401, "LOGGED_OUT")


async def test_logout_and_token_reuse_are_pushed(api: Api, unique_email) -> None:
    client = api.client
    session = await new_user(client, unique_email())
    async with client.socket(session.access_token) as socket:
        listens = await expect_listening(api.services, session.session_id)
        await socket.subscribe(SESSION_EVENTS)
        await listens()
        await client.data(REFRESH, {"t": session.refresh_token})
        await client.post(REFRESH, {"t": session.refresh_token})  # re-use
        message = await socket.receive()
        assert message["payload"]["data"]["sessionEvents"]["kind"] == "TOKEN_REUSED"
        assert (await socket.receive())["type"] == "complete"
        assert (await socket.closed()).reason == "TOKEN_REUSED"


async def test_idle_expiry_is_pushed_to_the_socket(api_factory: ApiFactory, unique_email) -> None:
    async with api_factory(session_idle_seconds=2) as api:
        session = await new_user(api.client, unique_email())
        async with api.client.socket(session.access_token) as socket:
            await socket.subscribe(SESSION_EVENTS)
            message = await socket.receive(timeout=6)
            assert message["payload"]["data"]["sessionEvents"]["kind"] == "SESSION_EXPIRED"
            assert (await socket.receive())["type"] == "complete"
            assert (await socket.closed()).code == 4401


async def test_socket_with_a_dead_token_is_refused(api: Api, unique_email) -> None:
    client = api.client
    email = unique_email()
    phone = await new_user(client, email, device="phone")
    await login(client, email, device="laptop")
    try:
        async with client.socket(phone.access_token):
            raise AssertionError("connection_init with a replaced session must be refused")
    except Exception as refused:  # noqa: BLE001 - the close arrives as the library's exception
        assert "4403" in repr(refused) or getattr(refused, "code", None) == 4403


async def test_session_events_need_authentication(client: GraphQLClient) -> None:
    async with client.socket() as socket:
        await socket.subscribe(SESSION_EVENTS)
        message = await socket.receive()
        assert message["type"] in {"error", "next"}
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0].get("extensions", {}).get("code") == "UNAUTHENTICATED", message
