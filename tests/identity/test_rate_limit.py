"""Brute force (ID-11): per-account lockout and per-address rate limit, audited (ID-13)."""

from __future__ import annotations

from sqlalchemy import select

from persistence.models.audit import AuditLog
from tests.accounts import LOGIN, PASSWORD, sign_up
from tests.conftest import Api, ApiFactory


def _login_vars(email: str, password: str) -> dict:
    return {"input": {"email": email, "password": password, "deviceId": "d1"}}


async def test_repeated_failures_lock_the_account_even_for_the_right_password(
    api: Api, unique_email
) -> None:
    client = api.client
    email = unique_email()
    await sign_up(client, email)
    limit = api.services.settings.login_max_failures
    for _ in range(limit):
        error = await client.error(LOGIN, _login_vars(email, "Wrong-Guess-99!"))
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
    locked = await client.error(LOGIN, _login_vars(email, PASSWORD))
    assert locked["extensions"]["code"] == "ACCOUNT_LOCKED"
    assert locked["extensions"]["retryAfterSeconds"] > 0
    async with api.services.db.unit_of_work() as session:
        actions = list(
            await session.scalars(select(AuditLog.action).where(AuditLog.action.like("identity.%")))
        )
    assert actions.count("identity.login_failed") == limit
    assert actions.count("identity.account_locked") == 1


async def test_lock_expires(api_factory: ApiFactory, unique_email) -> None:
    import asyncio

    async with api_factory(login_max_failures=2, login_lockout_seconds=1) as api:
        email = unique_email()
        await sign_up(api.client, email)
        for _ in range(2):
            await api.client.error(LOGIN, _login_vars(email, "Wrong-Guess-99!"))
        assert (await api.client.error(LOGIN, _login_vars(email, PASSWORD)))["extensions"][
            "code"
        ] == "ACCOUNT_LOCKED"
        await asyncio.sleep(1.5)
        assert (await api.client.data(LOGIN, _login_vars(email, PASSWORD)))["login"]["accessToken"]


async def test_one_address_guessing_many_accounts_is_rate_limited(
    api_factory: ApiFactory, unique_email
) -> None:
    async with api_factory(login_address_max_failures=6) as api:
        victims = [unique_email() for _ in range(3)]
        for email in victims:
            await sign_up(api.client, email)
        codes = []
        for round_ in range(3):
            for email in victims:
                error = await api.client.error(LOGIN, _login_vars(email, f"Guess-{round_}-Wrong!"))
                codes.append(error["extensions"]["code"])
        assert codes[:6] == ["UNAUTHENTICATED"] * 6
        assert set(codes[6:]) == {"RATE_LIMITED"}


async def test_unknown_email_fails_like_a_wrong_password(api: Api, unique_email) -> None:
    error = await api.client.error(LOGIN, _login_vars(unique_email(), PASSWORD))
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
        "UNAUTHENTICATED",
        "INVALID_CREDENTIALS",
    )
