"""Brute-force protection for password checks (ID-11), counted in Redis across all processes.

Every attempt reserves a place atomically BEFORE the slow hash check: failures already
counted plus attempts still being verified may not exceed a budget, so N parallel guesses
cannot all pass a check made before any of them failed. An attempt that finds the budget
held by attempts in flight waits for them to settle (a right password gives its place back,
a wrong one becomes a counted failure, and a full count a lock), so many devices logging in
at once with the right password all get through, in turns.

Budgets (see docs/identity.md, "Brute force"):
- per account AND source address: `max_failures` in the window lock that pair only, so a
  stranger cannot lock the owner out from elsewhere;
- per account over all addresses: `account_max_failures` in the window lock the account for
  every address that is not a known one (a successful login from it in the last
  `known_address_days`), each such lock twice as long as the one before: a guesser
  rotating addresses is bounded, the owner's device is not;
- per source address over all accounts: `address_max_failures` → RATE_LIMITED.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
import uuid
from dataclasses import dataclass
from enum import IntEnum

from redis.asyncio import Redis

from core.errors import AccountLocked, DomainError, RateLimited
from core.keyspace import Keyspace

# An attempt in flight longer than this died with its process: it holds no place any more.
_STALE_SECONDS = 30
# How long an attempt waits for places held by attempts in flight, polling at ~25 ms.
_WAIT_SECONDS = 15.0
_POLL_SECONDS = 0.025

_HELPERS = """
local function ttl(key)
  local left = redis.call('TTL', key)
  if left < 1 then return 1 end
  return left
end
local function count(key) return tonumber(redis.call('GET', key) or '0') end
local function count_failure(key, window)
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, window) end
end
"""

# KEYS: pair_fail, pair_lock, account_fail, account_lock, address_fail, known,
#       pair_busy, account_busy, address_busy
# ARGV: max_pair, account_max, address_max, now, known_seconds, member, attempt, stale
# Returns {0} reserved, {1, ttl} locked, {2, ttl} rate limited, {3} wait for attempts in flight.
_RESERVE = (
    _HELPERS
    + """
local max_pair, account_max, address_max = tonumber(ARGV[1]), tonumber(ARGV[2]),
  tonumber(ARGV[3])
local now, known_seconds, member, attempt, stale = tonumber(ARGV[4]), tonumber(ARGV[5]),
  ARGV[6], ARGV[7], tonumber(ARGV[8])
local function busy(key)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - stale)
  return redis.call('ZCARD', key)
end
if redis.call('EXISTS', KEYS[2]) == 1 then return {1, ttl(KEYS[2])} end
local seen = redis.call('ZSCORE', KEYS[6], member)
local known = seen and tonumber(seen) >= now - known_seconds
if not known and redis.call('EXISTS', KEYS[4]) == 1 then return {1, ttl(KEYS[4])} end
local address_failures = count(KEYS[5])
if address_failures >= address_max then return {2, ttl(KEYS[5])} end
if count(KEYS[1]) + busy(KEYS[7]) >= max_pair
  or address_failures + busy(KEYS[9]) >= address_max
  or (not known and count(KEYS[3]) + busy(KEYS[8]) >= account_max) then
  return {3, 0}
end
for _, key in ipairs({KEYS[7], KEYS[8], KEYS[9]}) do
  redis.call('ZADD', key, now, attempt)
  redis.call('EXPIRE', key, stale)
end
return {0, 0}
"""
)

# A wrong password: counted; a full budget becomes a lock. Each account-wide lock lasts twice
# the one before (up to a day; strikes are forgotten two days after the last lock): a guesser
# who waits out the locks gets about `account_max` tries a day.
# KEYS: pair_fail, pair_lock, account_fail, account_lock, address_fail, strikes,
#       pair_busy, account_busy, address_busy
# ARGV: window, max_pair, account_max, lockout, attempt
_FAILED = (
    _HELPERS
    + """
local window, max_pair, account_max, lockout = tonumber(ARGV[1]), tonumber(ARGV[2]),
  tonumber(ARGV[3]), tonumber(ARGV[4])
local day = 86400
for _, key in ipairs({KEYS[7], KEYS[8], KEYS[9]}) do redis.call('ZREM', key, ARGV[5]) end
for _, key in ipairs({KEYS[1], KEYS[3], KEYS[5]}) do count_failure(key, window) end
local outcome = 0
if count(KEYS[1]) >= max_pair then
  redis.call('SET', KEYS[2], '1', 'EX', lockout)
  redis.call('DEL', KEYS[1])
  outcome = 1
end
if count(KEYS[3]) >= account_max and redis.call('EXISTS', KEYS[4]) == 0 then
  local strikes = redis.call('INCR', KEYS[6])
  redis.call('EXPIRE', KEYS[6], 2 * day)
  redis.call('SET', KEYS[4], '1', 'EX', math.floor(math.min(lockout * 2 ^ (strikes - 1), day)))
  redis.call('DEL', KEYS[3])
  outcome = outcome + 2
end
return outcome
"""
)

# The password was right: the place is free again, the pair's failures are forgiven, and the
# address becomes one of the owner's.
# KEYS: pair_fail, known, pair_busy, account_busy, address_busy
# ARGV: now, known_seconds, member, attempt
_SUCCEEDED = """
local now, known_seconds = tonumber(ARGV[1]), tonumber(ARGV[2])
for _, key in ipairs({KEYS[3], KEYS[4], KEYS[5]}) do redis.call('ZREM', key, ARGV[4]) end
redis.call('DEL', KEYS[1])
redis.call('ZADD', KEYS[2], now, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - known_seconds)
redis.call('EXPIRE', KEYS[2], known_seconds)
return 0
"""


def digest(value: str) -> str:
    # Keys (and audit rows of unknown e-mails) name digests, not e-mails or addresses: Redis
    # dumps, MONITOR and the audit log show no PII.
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
    id: str


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

    def _address_key(self, attempt: Attempt, kind: str) -> str:
        return self._keys.key(attempt.scope, kind, attempt.address)

    def _budget_keys(self, attempt: Attempt, sixth: str) -> list[str]:
        """The KEYS of _RESERVE (sixth = "known") and _FAILED (sixth = "strikes")."""
        return [
            self._key(attempt, "fail", by_address=True),
            self._key(attempt, "lock", by_address=True),
            self._key(attempt, "fail"),
            self._key(attempt, "lock"),
            self._address_key(attempt, "fail-addr"),
            self._key(attempt, sixth),
            *self._busy_keys(attempt),
        ]

    def _busy_keys(self, attempt: Attempt) -> list[str]:
        return [
            self._key(attempt, "busy", by_address=True),
            self._key(attempt, "busy"),
            self._address_key(attempt, "busy-addr"),
        ]

    def _known_seconds(self) -> int:
        return self.limits.known_address_days * 86400

    async def reserve(
        self,
        account: str,
        address: str,
        *,
        scope: str = "login",
        locked: type[DomainError] = AccountLocked,
    ) -> Attempt:
        """Take a place before the password is checked, waiting while attempts in flight hold
        the budget; raise `locked` (ACCOUNT_LOCKED by default) or RATE_LIMITED, with
        `retryAfterSeconds`, when none is left."""
        attempt = Attempt(scope, digest(account), digest(address), uuid.uuid4().hex)
        limits = self.limits
        keys = self._budget_keys(attempt, "known")
        deadline = time.monotonic() + _WAIT_SECONDS
        while True:
            outcome, retry_after = await self._reserve(
                keys=keys,
                args=[
                    limits.max_failures,
                    limits.account_max_failures,
                    limits.address_max_failures,
                    int(time.time()),
                    self._known_seconds(),
                    attempt.address,
                    attempt.id,
                    _STALE_SECONDS,
                ],
            )
            if outcome == 0:
                return attempt
            if outcome in (1, 2):
                error = locked if outcome == 1 else RateLimited
                raise error(extra={"retryAfterSeconds": int(retry_after)})
            if time.monotonic() > deadline:
                raise RateLimited(extra={"retryAfterSeconds": 1})
            await asyncio.sleep(_POLL_SECONDS * (0.5 + random.random()))

    async def failed(self, attempt: Attempt) -> Lock:
        """The password was wrong; says what, if anything, this failure locked."""
        outcome = await self._failed(
            keys=self._budget_keys(attempt, "strikes"),
            args=[
                self.limits.window_seconds,
                self.limits.max_failures,
                self.limits.account_max_failures,
                self.limits.lockout_seconds,
                attempt.id,
            ],
        )
        return Lock(int(outcome))

    async def succeeded(self, attempt: Attempt) -> None:
        await self._succeeded(
            keys=[
                self._key(attempt, "fail", by_address=True),
                self._key(attempt, "known"),
                *self._busy_keys(attempt),
            ],
            args=[int(time.time()), self._known_seconds(), attempt.address, attempt.id],
        )
