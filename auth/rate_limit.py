"""Brute-force protection for logins (ID-11), counted in Redis across all processes.

Failures are counted per account and per source address in a sliding window.
An account with `max_failures` failures is locked for `lockout_seconds`
(ACCOUNT_LOCKED); an address with too many failures is refused (RATE_LIMITED).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from redis.asyncio import Redis

from persistence.redis import Keyspace
from resolvers.errors import AccountLocked, RateLimited

_RECORD_FAILURE = """
local account_key, address_key, lock_key = KEYS[1], KEYS[2], KEYS[3]
local window, max_failures, lockout = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local failures = redis.call('INCR', account_key)
if failures == 1 then redis.call('EXPIRE', account_key, window) end
if redis.call('INCR', address_key) == 1 then redis.call('EXPIRE', address_key, window) end
if failures >= max_failures then
  redis.call('SET', lock_key, '1', 'EX', lockout)
  redis.call('DEL', account_key)
  return 1
end
return 0
"""


def _account_id(email: str) -> str:
    # Keys name a digest, not the e-mail: Redis dumps and MONITOR show no PII.
    return hashlib.sha256(email.lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LoginLimits:
    max_failures: int
    window_seconds: int
    lockout_seconds: int
    address_max_failures: int


class LoginGuard:
    def __init__(self, redis: Redis, keys: Keyspace, limits: LoginLimits) -> None:
        self._redis = redis
        self._keys = keys
        self.limits = limits
        self._record = redis.register_script(_RECORD_FAILURE)

    def _account_keys(self, email: str) -> tuple[str, str]:
        account = _account_id(email)
        return self._keys.key("login", "fail", account), self._keys.key("login", "lock", account)

    def _address_key(self, address: str) -> str:
        return self._keys.key("login", "fail-addr", address)

    async def check(self, email: str, address: str) -> None:
        """Raise before the password is even checked when the caller is locked out."""
        _, lock_key = self._account_keys(email)
        locked, address_failures = await self._redis.mget(lock_key, self._address_key(address))
        if locked:
            ttl = await self._redis.ttl(lock_key)
            raise AccountLocked(extra={"retryAfterSeconds": max(ttl, 1)})
        if address_failures and int(address_failures) >= self.limits.address_max_failures:
            ttl = await self._redis.ttl(self._address_key(address))
            raise RateLimited(extra={"retryAfterSeconds": max(ttl, 1)})

    async def record_failure(self, email: str, address: str) -> bool:
        """Count a failure; True when this failure locked the account."""
        account_key, lock_key = self._account_keys(email)
        locked = await self._record(
            keys=[account_key, self._address_key(address), lock_key],
            args=[
                self.limits.window_seconds,
                self.limits.max_failures,
                self.limits.lockout_seconds,
            ],
        )
        return bool(locked)

    async def record_success(self, email: str) -> None:
        account_key, _ = self._account_keys(email)
        await self._redis.delete(account_key)
