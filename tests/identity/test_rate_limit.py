"""Brute force (ID-11): per-account lockout and per-address rate limit, audited (ID-13)."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from sqlalchemy import select

from auth.passwords import verify_password
from persistence.models.audit import AuditLog
from tests.accounts import LOGIN, PASSWORD, login, new_user, sign_up
from tests.client import GraphQLClient
from tests.conftest import Api, ApiFactory
from tests.waiting import advance_redis_clock


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
    async with api.services.db.read() as connection:
        actions = list(
            await connection.scalars(
                select(AuditLog.action).where(AuditLog.action.like("identity.%"))
            )
        )
    assert actions.count("identity.login_failed") == limit
    assert actions.count("identity.account_locked") == 1


async def test_lock_expires(api_factory: ApiFactory, unique_email) -> None:
    """The lock lasts its lockout, no less and no more (Redis time moved, not waited for)."""
    async with api_factory(login_max_failures=2, login_lockout_seconds=60) as api:
        email = unique_email()
        await sign_up(api.client, email)
        for _ in range(2):
            await api.client.error(LOGIN, _login_vars(email, "Wrong-Guess-99!"))
        locked = await api.client.error(LOGIN, _login_vars(email, PASSWORD))
        assert (locked["extensions"]["code"], locked["extensions"]["retryAfterSeconds"]) == (
            "ACCOUNT_LOCKED",
            60,
        )
        await advance_redis_clock(api.services, 59)
        still = await api.client.error(LOGIN, _login_vars(email, PASSWORD))
        assert (still["extensions"]["code"], still["extensions"]["retryAfterSeconds"]) == (
            "ACCOUNT_LOCKED",
            1,
        )
        await advance_redis_clock(api.services, 1.5)
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


async def _audit_rows(api: Api, prefix: str = "identity.") -> list[Any]:
    async with api.services.db.read() as connection:
        query = select(AuditLog.action, AuditLog.data, AuditLog.actor_user_id)
        rows = await connection.execute(
            query.where(AuditLog.action.like(f"{prefix}%")).order_by(AuditLog.id)
        )
        return list(rows)


async def test_parallel_guesses_are_counted_before_the_hash_check(api: Api, unique_email) -> None:
    """20 guesses at once: the budget is reserved before argon2 runs, so only 5 are verified."""
    email = unique_email()
    await sign_up(api.client, email)
    limit = api.services.settings.login_max_failures
    errors = await asyncio.gather(
        *(api.client.error(LOGIN, _login_vars(email, f"Wrong-Guess-{n}!x")) for n in range(20))
    )
    codes = [error["extensions"]["code"] for error in errors]
    assert codes.count("UNAUTHENTICATED") <= limit
    assert codes.count("ACCOUNT_LOCKED") >= 20 - limit
    actions = [row.action for row in await _audit_rows(api)]
    assert actions.count("identity.login_failed") == codes.count("UNAUTHENTICATED")
    assert actions.count("identity.account_locked") == 1
    locked = await api.client.error(LOGIN, _login_vars(email, PASSWORD))
    assert locked["extensions"]["code"] == "ACCOUNT_LOCKED"


async def test_rotating_addresses_cannot_lock_the_owner_out(
    api_factory: ApiFactory, unique_email
) -> None:
    async with api_factory(login_account_max_failures=12) as api:
        email = unique_email()
        await sign_up(api.client, email)
        await login(api.client, email)  # 127.0.0.1 becomes the owner's known address

        def stranger(n: int) -> GraphQLClient:
            return GraphQLClient(api.base_url, local_address=f"127.0.0.{n}")

        strangers = [stranger(n) for n in (2, 3, 4, 5)]
        try:
            verified = 0
            for client in strangers[:2]:  # 5 wrong guesses each lock only that address
                for n in range(5):
                    error = await client.error(LOGIN, _login_vars(email, f"Guess-{n}-Wrong!"))
                    verified += error["extensions"]["code"] == "UNAUTHENTICATED"
                assert (await client.error(LOGIN, _login_vars(email, PASSWORD)))["extensions"][
                    "code"
                ] == "ACCOUNT_LOCKED"
            assert verified == 10
            assert (await login(api.client, email)).access_token  # the owner is not locked out
            # The account-wide ceiling (12) stops a guesser who keeps rotating addresses.
            codes = [
                (await strangers[2].error(LOGIN, _login_vars(email, f"More-{n}-Wrong!")))[
                    "extensions"
                ]["code"]
                for n in range(4)
            ]
            assert codes == ["UNAUTHENTICATED"] * 2 + ["ACCOUNT_LOCKED"] * 2
            fresh = await strangers[3].error(LOGIN, _login_vars(email, PASSWORD))
            assert fresh["extensions"]["code"] == "ACCOUNT_LOCKED"
            assert (await login(api.client, email)).access_token  # the known address still may
        finally:
            for client in strangers:
                await client.aclose()
        locks = [row.data["scope"] for row in await _audit_rows(api, "identity.account_locked")]
        assert locks == ["address", "address", "unknown_addresses"]


CHANGE_PASSWORD = """
mutation Change($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new)
}
"""


async def test_change_password_is_throttled_and_audited(api: Api, unique_email) -> None:
    user = await new_user(api.client, unique_email())
    limit = api.services.settings.login_max_failures
    attempts = await asyncio.gather(
        *(
            api.client.error(
                CHANGE_PASSWORD,
                {"current": f"Not-Mine-{n}-Really!", "new": "Brand-New-Secret-77#"},
                token=user.access_token,
            )
            for n in range(limit + 3)
        )
    )
    reasons = [(e["extensions"]["code"], e["extensions"].get("reason")) for e in attempts]
    assert reasons.count(("VALIDATION", "WRONG_PASSWORD")) == limit
    assert [code for code, _ in reasons].count("RATE_LIMITED") == 3
    refused = await api.client.error(
        CHANGE_PASSWORD,
        {"current": PASSWORD, "new": "Brand-New-Secret-77#"},
        token=user.access_token,
    )
    assert refused["extensions"]["code"] == "RATE_LIMITED"
    assert refused["extensions"]["retryAfterSeconds"] > 0
    rows = await _audit_rows(api, "identity.")
    failures = [row for row in rows if row.action == "identity.password_change_failed"]
    assert len(failures) == limit
    assert {str(row.actor_user_id) for row in failures} == {user.user_id}
    locks = [row.data for row in rows if row.action == "identity.account_locked"]
    assert locks == [{"scope": "address", "of": "identity.password_change_failed"}]


async def test_unknown_emails_cost_as_much_as_known_ones(
    api_factory: ApiFactory, unique_email
) -> None:
    """Medians of many wrong logins differ by far less than one argon2 verification."""
    async with api_factory(
        login_max_failures=1000, login_address_max_failures=1000, login_account_max_failures=1000
    ) as api:
        email = unique_email()
        await sign_up(api.client, email)

        async def timed(login_email: str) -> float:
            started = time.perf_counter()
            error = await api.client.error(LOGIN, _login_vars(login_email, "Wrong-Guess-99!"))
            assert error["extensions"]["code"] == "UNAUTHENTICATED"
            return time.perf_counter() - started

        known, unknown = [], []
        for _ in range(25):  # interleaved, so load on the machine hits both alike
            known.append(await timed(email))
            unknown.append(await timed(unique_email()))
        verification = statistics.median([await _timed_verify() for _ in range(9)])
        gap = abs(statistics.median(known) - statistics.median(unknown))
        assert gap < verification / 2, (gap, verification)


async def _timed_verify() -> float:
    started = time.perf_counter()
    assert not await verify_password(None, "Wrong-Guess-99!")
    return time.perf_counter() - started


async def test_each_account_wide_lock_lasts_twice_the_one_before(
    api_factory: ApiFactory, unique_email
) -> None:
    """A guesser who waits out the locks still gets a bounded number of tries a day."""
    async with api_factory(login_account_max_failures=2, login_lockout_seconds=60) as api:
        email = unique_email()
        await sign_up(api.client, email)
        stranger = GraphQLClient(api.base_url, local_address="127.0.0.9")
        try:
            retry_after = []
            for _ in range(2):
                for n in range(2):
                    error = await stranger.error(LOGIN, _login_vars(email, f"Guess-{n}-Wrong!"))
                    assert error["extensions"]["code"] == "UNAUTHENTICATED"
                locked = await stranger.error(LOGIN, _login_vars(email, PASSWORD))
                assert locked["extensions"]["code"] == "ACCOUNT_LOCKED"
                retry_after.append(locked["extensions"]["retryAfterSeconds"])
                await advance_redis_clock(api.services, retry_after[-1] + 1)  # it runs out
            assert retry_after == [60, 120]
        finally:
            await stranger.aclose()


async def test_failures_of_unknown_emails_are_audited_without_the_address(
    api: Api, unique_email
) -> None:
    email = unique_email("nobody")
    error = await api.client.error(LOGIN, _login_vars(email, "Wrong-Guess-99!"))
    assert error["extensions"]["reason"] == "INVALID_CREDENTIALS"
    async with api.services.db.read() as connection:
        rows = (
            await connection.execute(
                select(AuditLog.subject_id, AuditLog.data).where(
                    AuditLog.action == "identity.login_failed"
                )
            )
        ).all()
    assert len(rows) == 1
    assert rows[0].subject_id.startswith("email-sha256:")
    assert email.split("@")[0] not in repr(tuple(rows[0]))
