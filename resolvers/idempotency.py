"""Idempotency keys as one mechanism (API-6), for every mutation that moves money or stock.

A key is scoped to its caller and operation and remembers a fingerprint of the request (a
SHA-256 of the canonical JSON of the operation's arguments) and the first outcome:

- a replay returns the first result (or raises the first error, where one was recorded);
- the same key with another request is CONFLICT, reason IDEMPOTENCY_KEY_REUSED;
- a replay while the first request still runs waits for it, at most `WAIT_SECONDS`, then
  CONFLICT, reason IN_PROGRESS.

The key row is inserted in the transaction of the effect, before it: the effect and its key
commit together or not at all. A concurrent replay's insert waits on the unique index until the
first transaction ends, so exactly one of them makes the effect. Keys are purged after the
retention (at least 24 hours) by a periodic job.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.errors import Conflict, DomainError, ValidationFailed, idempotency_key_reused
from persistence.database import Database
from persistence.repositories import idempotency as store
from persistence.unit_of_work import Session
from resolvers.validation import required_text

WAIT_SECONDS = 10.0
RETENTION = timedelta(hours=24)
_POLL_SECONDS = 0.1
_ERRORS: dict[str, type[DomainError]] = {cls.code: cls for cls in DomainError.__subclasses__()}


def checked_key(raw: str) -> str:
    key = required_text(raw, "idempotencyKey", 200)
    if not key.isprintable():
        raise ValidationFailed("idempotencyKey must be printable text", field="idempotencyKey")
    return key


def fingerprint(operation: str, request: Mapping[str, Any]) -> str:
    """A canonical hash of an operation's arguments (key order and spacing do not matter)."""
    canonical = json.dumps(
        {"operation": operation, "request": request},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def in_progress() -> Conflict:
    return Conflict(
        "a request with this idempotencyKey is still running; retry with the same key later",
        reason="IN_PROGRESS",
        field="idempotencyKey",
    )


@dataclass(frozen=True)
class Claim:
    id: int
    result: dict[str, Any] | None  # None: this request is the first; else the first outcome

    @property
    def replayed(self) -> bool:
        return self.result is not None

    def first_result(self) -> Any:
        """The first request's value; its error raised again if it ended in one."""
        assert self.result is not None
        if (error := self.result.get("error")) is not None:
            raise _ERRORS.get(error["code"], Conflict)(
                error.get("detail"), reason=error.get("reason"), field=error.get("field")
            )
        return self.result["value"]


async def claim(
    session: Session,
    *,
    caller: object,
    operation: str,
    key: str,
    request: Mapping[str, Any],
    wait_seconds: float = WAIT_SECONDS,
) -> Claim:
    """Claim `key` for this request in the session's transaction, or find the first outcome."""
    scope, printed = str(caller), fingerprint(operation, request)
    names = {"scope": scope, "operation": operation, "key": checked_key(key)}
    try:
        key_id = await store.insert_key(
            session, **names, fingerprint=printed, wait_ms=int(wait_seconds * 1000)
        )
    except store.KeyBusy:
        raise in_progress() from None
    if key_id is not None:
        return Claim(key_id, None)
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:  # committed but unfinished: a payment still waiting on its provider
        found = await store.find_key(session, **names)
        assert found is not None, "a key is purged only long after it finished"
        key_id, first_print, result = found
        if first_print != printed:
            raise idempotency_key_reused()
        if result is not None:
            return Claim(key_id, result)
        if asyncio.get_running_loop().time() >= deadline:
            raise in_progress()
        await asyncio.sleep(_POLL_SECONDS)


async def remember(session: Session, claimed: Claim | int, value: Any) -> Any:
    """Store the outcome a replay will get (in the effect's transaction); returns `value`."""
    await store.store_result(session, _id(claimed), {"value": value})
    return value


async def remember_error(session: Session, claimed: Claim | int, error: DomainError) -> None:
    """For operations that commit before they finish: the error a replay gets again."""
    await store.store_result(
        session,
        _id(claimed),
        {
            "error": {
                "code": error.code,
                "reason": error.reason,
                "field": error.field,
                "detail": error.detail,
            }
        },
    )


def _id(claimed: Claim | int) -> int:
    return claimed if isinstance(claimed, int) else claimed.id


async def purge_expired(db: Database, now: datetime | None = None) -> int:
    """Scheduled: finished keys older than the retention go."""
    return await store.purge(db, older_than=RETENTION, now=now or datetime.now(UTC))
