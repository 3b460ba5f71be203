"""Password policy (ID-1): the shipped deny lists and the strength estimate."""

from __future__ import annotations

import pytest
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from auth.passwords import PasswordPolicy
from core.errors import ValidationFailed
from tests.accounts import SIGN_UP
from tests.conftest import Api

POLICY = PasswordPolicy()


def _reason(password: str, email: str | None = None) -> str | None:
    try:
        POLICY.check(password, email=email)
    except ValidationFailed as refused:
        return refused.reason
    return None


@pytest.mark.parametrize(
    "password",
    [
        "Zaq12wsx!!",  # keyboard walk from the most common lists, symbols appended
        "Aa123456789!",  # a sequence dressed up with every character class
        "Qwerty123456!",  # breached as typed (10+ characters)
        "Password123!",
        "Iloveyou2024!",
        "Summer2026!!",
    ],
)
def test_common_and_guessable_passwords_are_refused(password: str) -> None:
    assert _reason(password) in {"COMMON_PASSWORD", "GUESSABLE_PASSWORD"}


async def test_sign_up_refuses_them_with_a_validation_code(api: Api, unique_email) -> None:
    for password in ("Zaq12wsx!!", "Aa123456789!"):
        error = await api.client.error(
            SIGN_UP, {"input": {"email": unique_email(), "password": password, "displayName": "x"}}
        )
        assert error["extensions"]["code"] == "VALIDATION"
        assert error["extensions"]["field"] == "password"


def test_every_common_password_dressed_to_pass_the_class_rules_is_refused() -> None:
    """zxcvbn's 30,000 most common passwords, each capitalised with a year and a symbol
    appended (the usual way around class rules): none gets through."""
    admitted = [
        base
        for base in FREQUENCY_LISTS["passwords"]
        if _reason(f"{base.capitalize()}2024!") is None
    ]
    assert admitted == []


def test_strong_passwords_pass_and_the_email_is_no_password() -> None:
    assert _reason("Correct-Horse-42!") is None
    assert _reason("Tessera-Demo-2026!") is None
    assert _reason("Minjun.Seoul-2026", email="minjun.seoul@example.com") == "COMMON_PASSWORD"
