"""Password hashing (argon2id) and the password policy (ID-1)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from resolvers.errors import ValidationFailed

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 (salt per hash).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)
# Verified when an e-mail is unknown, so response time does not reveal which e-mails exist.
_DUMMY_HASH = _HASHER.hash("dummy-password-for-timing")

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_EDGE_NOISE = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@lru_cache(maxsize=1)
def _deny_list() -> frozenset[str]:
    text = resources.files("auth.data").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def _is_common(password: str) -> bool:
    lowered = password.lower()
    stripped = _EDGE_NOISE.sub("", lowered)
    candidates = {
        lowered,
        stripped,
        stripped.translate(_LEET),
        _EDGE_NOISE.sub("", lowered.translate(_LEET)),
    }
    deny = _deny_list()
    return any(candidate in deny for candidate in candidates) or len(set(lowered)) <= 2


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    max_length: int = 128
    history: int = 5

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
