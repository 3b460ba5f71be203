"""Brute-force protection for password checks (ID-11), counted in Redis across all processes.

Every attempt reserves a slot atomically BEFORE the slow hash check, so N parallel guesses
cannot all pass a check made before any of them failed. A reservation stands as a failure
unless the password was right (`succeeded` gives it back).

Budgets (see docs/identity.md, "Brute force"):
- per account AND source address: `max_failures` in the window lock that pair only, so a
  stranger cannot lock the owner out from elsewhere;
- per account over all addresses: `account_max_failures` in the window lock the account for
  every address that is not a known one (a successful login from it in the last
  `known_address_days`), each such lock within a day twice as long as the one before: a
  guesser rotating addresses is bounded, the owner's device is not;
- per source address over all accounts: `address_max_failures` → RATE_LIMITED.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from enum import IntEnum

from redis.asyncio import Redis

from persistence.redis import Keyspace
from resolvers.errors import AccountLocked, DomainError, RateLimited

_TTL_HELPER = """
local function ttl(key)
  local left = redis.call('TTL', key)
  if left < 1 then return 1 end
  return left
end
local function count(key) return tonumber(redis.call('GET', key) or '0') end
local function known(key, member, since)
  local seen = redis.call('ZSCORE', key, member)
  return seen and tonumber(seen) >= since
end
"""

# KEYS: pair_fail, pair_lock, account_fail, account_lock, address_fail, known
# ARGV: window, max_pair, account_max, address_max, now, known_seconds, member
_RESERVE = (
    _TTL_HELPER
    + """
local pair_fail, pair_lock, account_fail, account_lock, address_fail, known_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local window, max_pair, account_max, address_max = tonumber(ARGV[1]), tonumber(ARGV[2]),
  tonumber(ARGV[3]), tonumber(ARGV[4])
local now, known_seconds, member = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
if redis.call('EXISTS', pair_lock) == 1 then return {1, ttl(pair_lock)} end
local is_known = known(known_key, member, now - known_seconds)
if not is_known and redis.call('EXISTS', account_lock) == 1 then return {1, ttl(account_lock)} end
if count(address_fail) >= address_max then return {2, ttl(address_fail)} end
-- Budgets already held by attempts in flight refuse further ones at once.
if count(pair_fail) >= max_pair then return {1, ttl(pair_fail)} end
if not is_known and count(account_fail) >= account_max then return {1, ttl(account_fail)} end
for _, key in ipairs({pair_fail, account_fail, address_fail}) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, window) end
end
return {0, 0}
"""
)

# A verified failure: the reservation stays counted; a full budget becomes a lock. Each
# account-wide lock lasts twice the one before (up to a day; strikes are forgotten two days
# after the last lock): a guesser who waits out the locks gets ~20 tries a day at most.
# KEYS: pair_fail, pair_lock, account_fail, account_lock, account_strikes
# ARGV: max_pair, account_max, lockout
_FAILED = (
    _TTL_HELPER
    + """
local max_pair, account_max, lockout = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local day = 86400
local outcome = 0
if count(KEYS[1]) >= max_pair then
  redis.call('SET', KEYS[2], '1', 'EX', lockout)
  redis.call('DEL', KEYS[1])
  outcome = 1
end
if count(KEYS[3]) >= account_max and redis.call('EXISTS', KEYS[4]) == 0 then
  local strikes = redis.call('INCR', KEYS[5])
  redis.call('EXPIRE', KEYS[5], 2 * day)  -- outlives the longest lock: strikes carry over
  redis.call('SET', KEYS[4], '1', 'EX', math.floor(math.min(lockout * 2 ^ (strikes - 1), day)))
  redis.call('DEL', KEYS[3])
  outcome = outcome + 2
end
return outcome
"""
)

# The password was right: give the reservation back, remember the address as the owner's.
# KEYS: pair_fail, account_fail, address_fail, known   ARGV: now, known_seconds, member
_SUCCEEDED = (
    _TTL_HELPER
    + """
local now, known_seconds, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
redis.call('DEL', KEYS[1])
for _, key in ipairs({KEYS[2], KEYS[3]}) do
  if count(key) > 0 then redis.call('DECR', key) end
end
redis.call('ZADD', KEYS[4], now, member)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - known_seconds)
redis.call('EXPIRE', KEYS[4], known_seconds)
return 0
"""
)


def _digest(value: str) -> str:
    # Keys name digests, not e-mails or addresses: Redis dumps and MONITOR show no PII.
    return hashlib.sha256(value.lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LoginLimits:
    max_failures: int  # per account and source address
    window_seconds: int
    lockout_seconds: int
    address_max_failures: int  # per source address, over all accounts
    account_max_failures: int  # per account, over all addresses: then unknown ones locked
    known_address_days: int


class Lock(IntEnum):
    """What a verified failure locked (bits)."""

    NONE = 0
    PAIR = 1
    UNKNOWN_ADDRESSES = 2
    BOTH = 3


@dataclass(frozen=True)
class Attempt:
    """A reserved password check: settle it with `failed` or `succeeded`."""

    scope: str
    account: str
    address: str


class LoginGuard:
    def __init__(self, redis: Redis, keys: Keyspace, limits: LoginLimits) -> None:
        self._keys = keys
        self.limits = limits
        self._reserve = redis.register_script(_RESERVE)
        self._failed = redis.register_script(_FAILED)
        self._succeeded = redis.register_script(_SUCCEEDED)

    def _key(self, attempt: Attempt, kind: str, *, by_address: bool = False) -> str:
        parts = [attempt.scope, kind, attempt.account]
        if by_address:
            parts.append(attempt.address)
        return self._keys.key(*parts)

    def _known_args(self) -> tuple[int, int]:
        return int(time.time()), self.limits.known_address_days * 86400

    async def reserve(
        self,
        account: str,
        address: str,
        *,
        scope: str = "login",
        locked: type[DomainError] = AccountLocked,
    ) -> Attempt:
        """Count this attempt before the password is checked; raise `locked` (ACCOUNT_LOCKED
        by default) or RATE_LIMITED, with `retryAfterSeconds`, when no budget is left."""
        attempt = Attempt(scope, _digest(account), _digest(address))
        now, known_seconds = self._known_args()
        limits = self.limits
        refused, retry_after = await self._reserve(
            keys=[
                self._key(attempt, "fail", by_address=True),
                self._key(attempt, "lock", by_address=True),
                self._key(attempt, "fail"),
                self._key(attempt, "lock"),
                self._keys.key(scope, "fail-addr", attempt.address),
                self._key(attempt, "known"),
            ],
            args=[
                limits.window_seconds,
                limits.max_failures,
                limits.account_max_failures,
                limits.address_max_failures,
                now,
                known_seconds,
                attempt.address,
            ],
        )
        if refused:
            error = locked if refused == 1 else RateLimited
            raise error(extra={"retryAfterSeconds": int(retry_after)})
        return attempt

    async def failed(self, attempt: Attempt) -> Lock:
        """The password was wrong; says what, if anything, this failure locked."""
        outcome = await self._failed(
            keys=[
                self._key(attempt, "fail", by_address=True),
                self._key(attempt, "lock", by_address=True),
                self._key(attempt, "fail"),
                self._key(attempt, "lock"),
                self._key(attempt, "strikes"),
            ],
            args=[
                self.limits.max_failures,
                self.limits.account_max_failures,
                self.limits.lockout_seconds,
            ],
        )
        return Lock(int(outcome))

    async def succeeded(self, attempt: Attempt) -> None:
        now, known_seconds = self._known_args()
        await self._succeeded(
            keys=[
                self._key(attempt, "fail", by_address=True),
                self._key(attempt, "fail"),
                self._keys.key(attempt.scope, "fail-addr", attempt.address),
                self._key(attempt, "known"),
            ],
            args=[now, known_seconds, attempt.address],
        )
