"""Sign-up, login, me, passwords and bilingual errors over real HTTP (ID-1, ID-2, ID-10)."""

from __future__ import annotations

from itertools import pairwise

from tests.accounts import LOGIN, ME, PASSWORD, SIGN_UP, login, new_user, sign_up
from tests.client import GraphQLClient

CHANGE_PASSWORD = (
    "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }"
)


async def test_sign_up_then_login_and_me(client: GraphQLClient, unique_email) -> None:
    email = unique_email()
    user_id = await sign_up(client, email)
    session = await login(client, email)
    me = (await client.data(ME, token=session.access_token))["me"]
    assert me["id"] == user_id
    assert me["email"] == email
    assert [role["name"] for role in me["roles"]] == ["customer"]
    assert me["session"]["id"] == session.session_id
    assert me["session"]["deviceId"] == "phone"


async def test_weak_and_common_passwords_fail_with_validation(
    client: GraphQLClient, unique_email
) -> None:
    for weak in [
        "short1!A",
        "alllowercase1!",
        "NoDigitsHere!!",
        "NoSymbols12345",
        "P@ssw0rd2024!",
        "Qwerty-12345",
    ]:
        error = await client.error(
            SIGN_UP, {"input": {"email": unique_email(), "password": weak, "displayName": "x"}}
        )
        assert error["extensions"]["code"] == "VALIDATION", weak
        assert error["extensions"]["field"] == "password"


async def test_long_passwords_of_64_characters_are_allowed(
    client: GraphQLClient, unique_email
) -> None:
    email = unique_email()
    long_password = "Seoul mornings, 7 cups of coffee & one Tessera login: all good!!"
    assert len(long_password) == 64
    await sign_up(client, email, long_password)
    await login(client, email, long_password)


async def test_duplicate_email_fails_with_conflict_case_insensitively(
    client: GraphQLClient, unique_email
) -> None:
    email = unique_email()
    await sign_up(client, email)
    error = await client.error(
        SIGN_UP,
        {
            "input": {
                "email": email.upper().replace("@EXAMPLE.COM", "@example.com"),
                "password": PASSWORD,
                "displayName": "x",
            }
        },
    )
    assert error["extensions"]["code"] == "CONFLICT"


async def test_bad_email_and_empty_name_name_the_field(client: GraphQLClient) -> None:
    error = await client.error(
        SIGN_UP, {"input": {"email": "not-an-email", "password": PASSWORD, "displayName": "x"}}
    )
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("VALIDATION", "email")
    error = await client.error(
        SIGN_UP, {"input": {"email": "a@example.com", "password": PASSWORD, "displayName": "  "}}
    )
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "VALIDATION",
        "displayName",
    )


async def test_wrong_password_is_unauthenticated_in_english_and_korean(
    client: GraphQLClient, unique_email
) -> None:
    email = unique_email()
    await sign_up(client, email)
    variables = {"input": {"email": email, "password": "Wrong-Password-1!", "deviceId": "d"}}
    english = await client.error(LOGIN, variables, headers={"accept-language": "en-US,en;q=0.9"})
    korean = await client.error(
        LOGIN, variables, headers={"accept-language": "ko-KR,ko;q=0.9,en;q=0.5"}
    )
    assert english["extensions"]["code"] == korean["extensions"]["code"] == "UNAUTHENTICATED"
    assert "sign in" in english["message"].lower()
    assert "로그인" in korean["message"]


async def test_me_without_token_is_unauthenticated(client: GraphQLClient) -> None:
    assert (await client.error(ME))["extensions"]["code"] == "UNAUTHENTICATED"


async def test_garbage_token_is_unauthenticated(client: GraphQLClient) -> None:
    error = await client.error(ME, token="not.a.jwt")
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_password_change_needs_current_and_refuses_last_five(
    client: GraphQLClient, unique_email
) -> None:
    email = unique_email()
    session = await new_user(client, email)
    token = session.access_token
    wrong = await client.error(
        CHANGE_PASSWORD, {"c": "Not-It-123!", "n": "Brand-New-Pass-1!"}, token=token
    )
    assert (wrong["extensions"]["code"], wrong["extensions"]["reason"]) == (
        "VALIDATION",
        "WRONG_PASSWORD",
    )
    history = [PASSWORD] + [f"Rotation-{n}-Secret!" for n in range(1, 5)]
    for current, new in pairwise(history):
        assert (await client.data(CHANGE_PASSWORD, {"c": current, "n": new}, token=token))[
            "changePassword"
        ]
    # The five most recent passwords (including the current one) are refused.
    for old in history:
        error = await client.error(CHANGE_PASSWORD, {"c": history[-1], "n": old}, token=token)
        assert error["extensions"]["reason"] == "PASSWORD_REUSED", old
    await client.data(CHANGE_PASSWORD, {"c": history[-1], "n": "Sixth-Fresh-Pass-6!"}, token=token)
    # The oldest one has left the window of five now.
    await client.data(CHANGE_PASSWORD, {"c": "Sixth-Fresh-Pass-6!", "n": PASSWORD}, token=token)
    await login(client, email, PASSWORD, device="laptop")
