"""../shared/contract/identity.graphql, operation by operation, over real HTTP and WebSocket."""

from __future__ import annotations

from tests.accounts import PASSWORD, grant_role
from tests.client import GraphQLClient
from tests.conftest import Api, ApiFactory
from tests.contract.documents import contract_text, operation_names
from tests.waiting import expect_listening

DOCUMENT = contract_text("identity")


async def run(
    client: GraphQLClient, operation: str, variables: dict | None = None, **kwargs
) -> dict:
    return await client.post(DOCUMENT, variables, operation=operation, **kwargs)


def code(result: dict) -> str:
    return result["errors"][0]["extensions"]["code"]


async def sign_up(client: GraphQLClient, email: str) -> dict:
    result = await run(
        client,
        "SignUp",
        {"input": {"email": email, "password": PASSWORD, "displayName": "Kim", "locale": "ko"}},
    )
    return result["data"]["signUp"]["user"]


async def log_in(client: GraphQLClient, email: str, device: str, password: str = PASSWORD) -> dict:
    return await run(
        client,
        "Login",
        {"input": {"email": email, "password": password, "deviceId": device, "deviceName": device}},
    )


def test_every_operation_is_exercised_here() -> None:
    assert set(operation_names("identity")) == {
        "SignUp",
        "Login",
        "RefreshSession",
        "Logout",
        "Me",
        "SessionEvents",
        "AssignRole",
    }


async def test_sign_up(client: GraphQLClient, unique_email) -> None:
    email = unique_email()
    user = await sign_up(client, email)
    assert user["email"] == email and user["displayName"] == "Kim" and user["id"]
    weak = await run(
        client,
        "SignUp",
        {
            "input": {
                "email": unique_email(),
                "password": "weak",
                "displayName": "x",
                "locale": "en",
            }
        },
    )
    assert code(weak) == "VALIDATION"
    taken = await run(
        client,
        "SignUp",
        {"input": {"email": email, "password": PASSWORD, "displayName": "x", "locale": "en"}},
    )
    assert code(taken) == "CONFLICT"


async def test_login_and_me(client: GraphQLClient, unique_email) -> None:
    email = unique_email()
    user = await sign_up(client, email)
    login = (await log_in(client, email, "phone"))["data"]["login"]
    assert login["accessToken"] and login["refreshToken"] and login["expiresIn"] > 0
    assert login["mfaRequired"] is False and login["mfaChallenge"] is None
    assert login["session"]["deviceId"] == "phone" and login["session"]["idleExpiresAt"]
    me = (await run(client, "Me", token=login["accessToken"]))["data"]["me"]
    assert me["id"] == user["id"] and me["roles"] == [{"name": "customer"}]
    assert me["session"]["id"] == login["session"]["id"]
    assert isinstance(me["permissions"], list)
    assert code(await log_in(client, email, "phone", "Wrong-Password-9!")) == "UNAUTHENTICATED"
    assert code(await run(client, "Me")) == "UNAUTHENTICATED"


async def test_login_rate_limited_and_locked(api_factory: ApiFactory, unique_email) -> None:
    async with api_factory(login_max_failures=3, login_address_max_failures=4) as api:
        email = unique_email()
        await sign_up(api.client, email)
        codes = [code(await log_in(api.client, email, "d", "Wrong-Password-9!")) for _ in range(3)]
        assert codes == ["UNAUTHENTICATED"] * 3
        assert code(await log_in(api.client, email, "d")) == "ACCOUNT_LOCKED"
        other = unique_email()
        await sign_up(api.client, other)
        assert code(await log_in(api.client, other, "d", "Wrong-Password-9!")) == "UNAUTHENTICATED"
        assert code(await log_in(api.client, other, "d")) == "RATE_LIMITED"


async def test_new_login_replaces_old_session_and_pushes_the_event(api: Api, unique_email) -> None:
    client = api.client
    email = unique_email()
    await sign_up(client, email)
    old = (await log_in(client, email, "phone"))["data"]["login"]
    async with client.socket(old["accessToken"]) as socket:
        listens = await expect_listening(api.services, old["session"]["id"])
        await socket.subscribe(DOCUMENT, operation="SessionEvents")
        await listens()
        new = (await log_in(client, email, "tablet"))["data"]["login"]
        event = (await socket.receive())["payload"]["data"]["sessionEvents"]
        assert event["kind"] == "SESSION_REPLACED" and event["at"]
        assert (await socket.receive())["type"] == "complete"
        assert (await socket.closed()).code == 4401
    assert code(await run(client, "Me", token=old["accessToken"])) == "SESSION_REPLACED"
    assert (await run(client, "Me", token=new["accessToken"]))["data"]["me"]["session"][
        "deviceId"
    ] == "tablet"


async def test_refresh_rotation_and_reuse(api: Api, unique_email) -> None:
    client = api.client
    email = unique_email()
    await sign_up(client, email)
    login = (await log_in(client, email, "phone"))["data"]["login"]
    async with client.socket(login["accessToken"]) as socket:
        listens = await expect_listening(api.services, login["session"]["id"])
        await socket.subscribe(DOCUMENT, operation="SessionEvents")
        await listens()
        rotated = (await run(client, "RefreshSession", {"refreshToken": login["refreshToken"]}))[
            "data"
        ]["refreshSession"]
        assert rotated["refreshToken"] != login["refreshToken"] and rotated["expiresIn"] > 0
        assert (
            code(await run(client, "RefreshSession", {"refreshToken": login["refreshToken"]}))
            == "TOKEN_REUSED"
        )
        assert (await socket.receive())["payload"]["data"]["sessionEvents"][
            "kind"
        ] == "TOKEN_REUSED"
    assert code(await run(client, "Me", token=rotated["accessToken"])) == "TOKEN_REUSED"


async def test_logout(api: Api, unique_email) -> None:
    client = api.client
    email = unique_email()
    await sign_up(client, email)
    login = (await log_in(client, email, "phone"))["data"]["login"]
    async with client.socket(login["accessToken"]) as socket:
        listens = await expect_listening(api.services, login["session"]["id"])
        await socket.subscribe(DOCUMENT, operation="SessionEvents")
        await listens()
        assert (await run(client, "Logout", token=login["accessToken"]))["data"]["logout"] is True
        assert (await socket.receive())["payload"]["data"]["sessionEvents"]["kind"] == "LOGGED_OUT"
        assert (await socket.receive())["type"] == "complete"
        assert (await socket.closed()).code == 4401
    assert code(await run(client, "Me", token=login["accessToken"])) == "UNAUTHENTICATED"


async def test_session_expired(api_factory: ApiFactory, unique_email) -> None:
    async with api_factory(session_idle_seconds=1) as api:
        email = unique_email()
        await sign_up(api.client, email)
        login = (await log_in(api.client, email, "phone"))["data"]["login"]
        async with api.client.socket(login["accessToken"]) as socket:
            listens = await expect_listening(api.services, login["session"]["id"])
            await socket.subscribe(DOCUMENT, operation="SessionEvents")
            await listens()
            assert (await socket.receive(timeout=5))["payload"]["data"]["sessionEvents"][
                "kind"
            ] == "SESSION_EXPIRED"
        # The socket heard it once Redis had let the session's key expire: no wait needed.
        assert code(await run(api.client, "Me", token=login["accessToken"])) == "SESSION_EXPIRED"


async def test_assign_role(api: Api, unique_email) -> None:
    client = api.client
    admin_email, user_email = unique_email("admin"), unique_email()
    admin_user = await sign_up(client, admin_email)
    target = await sign_up(client, user_email)
    await grant_role(api.services, admin_user["id"], "admin")
    admin = (await log_in(client, admin_email, "desk"))["data"]["login"]
    customer = (await log_in(client, user_email, "phone"))["data"]["login"]
    denied = await run(
        client,
        "AssignRole",
        {"userId": target["id"], "role": "support"},
        token=customer["accessToken"],
    )
    assert code(denied) == "FORBIDDEN"
    granted = await run(
        client,
        "AssignRole",
        {"userId": target["id"], "role": "support"},
        token=admin["accessToken"],
    )
    assert granted["data"]["assignRole"] == {
        "id": target["id"],
        "roles": [{"name": "customer"}, {"name": "support"}],
    }
