"""Sessions in Redis (ID-3, ID-4) with rotating refresh tokens (ID-2).

Every state change is one Lua script, so it is atomic across any number of API
processes: logging in swaps the account's one session and publishes
SESSION_REPLACED to the old session's topic in the same step.

Keys (under the namespace):
  sess:<sid>          hash: uid, device_id, device_name, created_at, refresh (sha256)
  sess:<sid>:rotated  set of refresh-token hashes already rotated away (theft detection)
  user:<uid>:sess     the account's current session id
  ended:<sid>         why the session ended, kept so old tokens get the right code
  topic:session:<sid> pub/sub channel of the session's live events
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from core.errors import SESSION_END_ERRORS, SessionExpired, TokenReused, Unauthenticated
from core.keyspace import Keyspace
from subscriptions.topics import SESSION_TOPIC_PREFIX

_START = """
local ns, sid, uid = ARGV[1], ARGV[2], ARGV[3]
local idle, ended_ttl = tonumber(ARGV[8]), tonumber(ARGV[9])
local user_key = ns .. 'user:' .. uid .. ':sess'
local old = redis.call('GET', user_key)
redis.call('SET', user_key, sid)
local key = ns .. 'sess:' .. sid
redis.call('HSET', key, 'uid', uid, 'device_id', ARGV[4], 'device_name', ARGV[5],
           'created_at', ARGV[6], 'refresh', ARGV[7])
redis.call('EXPIRE', key, idle)
if old and old ~= sid then
  local old_key = ns .. 'sess:' .. old
  if redis.call('DEL', old_key) == 1 then
    redis.call('DEL', old_key .. ':rotated')
    redis.call('SET', ns .. 'ended:' .. old, 'SESSION_REPLACED', 'EX', ended_ttl)
    redis.call('PUBLISH', ns .. '__TOPIC__' .. old, ARGV[10])
    return old
  end
end
return false
"""

_TOUCH = """
local ns, sid, idle = ARGV[1], ARGV[2], tonumber(ARGV[3])
local key = ns .. 'sess:' .. sid
if redis.call('EXPIRE', key, idle) == 1 then
  redis.call('EXPIRE', key .. ':rotated', idle)
  return {'LIVE', redis.call('HGET', key, 'uid'), redis.call('HGET', key, 'device_id'),
          redis.call('HGET', key, 'device_name'), redis.call('HGET', key, 'created_at')}
end
local cause = redis.call('GET', ns .. 'ended:' .. sid)
if cause then return {'ENDED', cause} end
return {'EXPIRED'}
"""

_END_BODY = """
local key = ns .. 'sess:' .. sid
local uid = redis.call('HGET', key, 'uid')
if not uid then return false end
redis.call('DEL', key, key .. ':rotated')
local user_key = ns .. 'user:' .. uid .. ':sess'
if redis.call('GET', user_key) == sid then redis.call('DEL', user_key) end
redis.call('SET', ns .. 'ended:' .. sid, cause, 'EX', ended_ttl)
redis.call('PUBLISH', ns .. '__TOPIC__' .. sid, ARGV[5])
return sid
"""
_END = "local ns, sid, cause, ended_ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])" + _END_BODY
# The same for whatever session an account has (ID-17: an operator ends them), in one step.
_END_USER = (
    "local ns, cause, ended_ttl = ARGV[1], ARGV[3], tonumber(ARGV[4])\n"
    "local sid = redis.call('GET', ns .. 'user:' .. ARGV[2] .. ':sess')\n"
    "if not sid then return false end" + _END_BODY
)

_REFRESH = """
local ns, sid, presented, fresh = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local idle, ended_ttl = tonumber(ARGV[5]), tonumber(ARGV[6])
local key = ns .. 'sess:' .. sid
local current = redis.call('HGET', key, 'refresh')
if not current then
  local cause = redis.call('GET', ns .. 'ended:' .. sid)
  if cause then return {'ENDED', cause} end
  return {'EXPIRED'}
end
local uid = redis.call('HGET', key, 'uid')
if current == presented then
  redis.call('HSET', key, 'refresh', fresh)
  redis.call('SADD', key .. ':rotated', presented)
  redis.call('EXPIRE', key, idle)
  redis.call('EXPIRE', key .. ':rotated', idle)
  return {'ROTATED', uid}
end
if redis.call('SISMEMBER', key .. ':rotated', presented) == 1 then
  redis.call('DEL', key, key .. ':rotated')
  local user_key = ns .. 'user:' .. uid .. ':sess'
  if redis.call('GET', user_key) == sid then redis.call('DEL', user_key) end
  redis.call('SET', ns .. 'ended:' .. sid, 'TOKEN_REUSED', 'EX', ended_ttl)
  redis.call('PUBLISH', ns .. '__TOPIC__' .. sid, ARGV[7])
  return {'REUSED', uid}
end
return {'INVALID'}
"""

_STATUS = """
local ns, sid = ARGV[1], ARGV[2]
local ttl = redis.call('PTTL', ns .. 'sess:' .. sid)
if ttl > 0 then return {'LIVE', ttl} end
local cause = redis.call('GET', ns .. 'ended:' .. sid)
if cause then return {'ENDED', cause} end
return {'EXPIRED'}
"""


def _now() -> datetime:
    return datetime.now(UTC)


def session_event(kind: str, reason: str | None = None) -> str:
    return json.dumps({"kind": kind, "reason": reason, "at": _now().isoformat()})


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split_refresh(token: str) -> tuple[str, str]:
    session_id, dot, secret = token.partition(".")
    if not dot or not session_id or len(secret) < 20 or len(token) > 200:
        raise Unauthenticated("malformed refresh token", reason="INVALID_TOKEN")
    return session_id, secret


class RefreshTokenReused(TokenReused):
    """Theft detected: the session was ended; carries whose, for the audit log."""

    def __init__(self, *, user_id: str, session_id: str) -> None:
        super().__init__("refresh token re-used", reason="REFRESH_TOKEN_REUSED")
        self.user_id = user_id
        self.session_id = session_id


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    device_id: str
    device_name: str
    created_at: datetime
    idle_expires_at: datetime


@dataclass(frozen=True)
class StartedSession:
    session: Session
    refresh_token: str
    replaced_session_id: str | None


@dataclass(frozen=True)
class SessionStatus:
    live: bool
    cause: str | None  # SESSION_REPLACED, LOGGED_OUT, TOKEN_REUSED, SESSION_EXPIRED
    remaining_ms: int


def _register(redis: Redis, source: str) -> AsyncScript:
    return redis.register_script(source.replace("__TOPIC__", SESSION_TOPIC_PREFIX))


class SessionStore:
    def __init__(
        self, redis: Redis, keys: Keyspace, *, idle_seconds: int, ended_memory_seconds: int
    ) -> None:
        self._redis = redis
        self._ns = keys.namespace
        self.idle_seconds = idle_seconds
        self._ended_ttl = ended_memory_seconds
        self._start = _register(redis, _START)
        self._touch = _register(redis, _TOUCH)
        self._end = _register(redis, _END)
        self._end_user = _register(redis, _END_USER)
        self._refresh = _register(redis, _REFRESH)
        self._status = _register(redis, _STATUS)

    def _idle_deadline(self) -> datetime:
        return _now() + timedelta(seconds=self.idle_seconds)

    async def start(self, user_id: str, device_id: str, device_name: str) -> StartedSession:
        session_id = secrets.token_urlsafe(18)
        secret = secrets.token_urlsafe(32)
        created = _now()
        replaced = await self._start(
            args=[
                self._ns,
                session_id,
                user_id,
                device_id,
                device_name,
                created.isoformat(),
                _hash(secret),
                self.idle_seconds,
                self._ended_ttl,
                session_event("SESSION_REPLACED", "NEW_LOGIN"),
            ]
        )
        session = Session(
            session_id, user_id, device_id, device_name, created, self._idle_deadline()
        )
        return StartedSession(session, f"{session_id}.{secret}", replaced or None)

    async def touch(self, session_id: str) -> Session:
        """Check the session is live and slide its idle deadline; raise the ending's code."""
        result = await self._touch(args=[self._ns, session_id, self.idle_seconds])
        if result[0] == "LIVE":
            _, uid, device_id, device_name, created_at = result
            return Session(
                session_id,
                uid,
                device_id,
                device_name,
                datetime.fromisoformat(created_at),
                self._idle_deadline(),
            )
        raise _ended_error(result)

    async def status(self, session_id: str) -> SessionStatus:
        """Liveness without counting as activity (for socket watchdogs)."""
        result = await self._status(args=[self._ns, session_id])
        if result[0] == "LIVE":
            return SessionStatus(True, None, int(result[1]))
        cause = result[1] if result[0] == "ENDED" else "SESSION_EXPIRED"
        return SessionStatus(False, cause, 0)

    async def end(self, session_id: str, cause: str) -> bool:
        ended = await self._end(
            args=[self._ns, session_id, cause, self._ended_ttl, session_event(cause)]
        )
        return bool(ended)

    async def end_user_sessions(self, user_id: str, cause: str) -> list[str]:
        """End every live session of an account (today: its one); the ids ended."""
        ended = await self._end_user(
            args=[self._ns, user_id, cause, self._ended_ttl, session_event(cause)]
        )
        return [ended] if ended else []

    async def rotate_refresh(self, refresh_token: str) -> tuple[str, str, str]:
        """Return (user_id, session_id, new_refresh_token); re-use ends the session."""
        session_id, secret = _split_refresh(refresh_token)
        fresh = secrets.token_urlsafe(32)
        result = await self._refresh(
            args=[
                self._ns,
                session_id,
                _hash(secret),
                _hash(fresh),
                self.idle_seconds,
                self._ended_ttl,
                session_event("TOKEN_REUSED", "REFRESH_TOKEN_REUSED"),
            ]
        )
        match result[0]:
            case "ROTATED":
                return result[1], session_id, f"{session_id}.{fresh}"
            case "REUSED":
                raise RefreshTokenReused(user_id=result[1], session_id=session_id)
            case "INVALID":
                raise Unauthenticated("unknown refresh token", reason="INVALID_TOKEN")
        raise _ended_error(result)


def _ended_error(result: list[str]) -> Exception:
    if result[0] == "ENDED":
        return SESSION_END_ERRORS.get(result[1], Unauthenticated)(reason=result[1])
    return SessionExpired()
