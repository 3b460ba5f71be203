"""Audit rows (ID-13).

`record` writes into the caller's unit of work, so the row commits with the change it
describes; every domain's use cases call it (with `uow.session`). A refused attempt (a wrong
password, a re-used refresh token, a FORBIDDEN answer) must stay on record although the
request that made it rolls back: `record_apart` writes it in its own short unit of work.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from auth.rate_limit import Lock
from persistence.database import Database
from persistence.repositories.identity import audit as audit_rows
from persistence.unit_of_work import Session
from resolvers.services import RequestMeta


def record(
    session: Session,
    action: str,
    *,
    subject_type: str,
    subject_id: str,
    meta: RequestMeta | None = None,
    actor: uuid.UUID | str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    audit_rows.add_entry(
        session,
        action,
        subject_type=subject_type,
        subject_id=subject_id,
        actor_user_id=uuid.UUID(str(actor)) if actor else None,
        source_address=meta.address if meta else None,
        request_id=meta.request_id if meta else None,
        data=data or {},
    )


async def record_apart(db: Database, write: Callable[[Session], None]) -> None:
    """Rows `write` adds, committed on their own: the refusal is audited whatever becomes of
    the request's unit of work (which rolls back when the refusal is raised)."""
    async with db.transaction() as uow:
        write(uow.session)


def own_action(session: Session, action: str, user_id: uuid.UUID, meta: RequestMeta) -> None:
    record(session, action, subject_type="user", subject_id=str(user_id), meta=meta, actor=user_id)


def failure(
    session: Session,
    action: str,
    subject: str,
    locked: Lock,
    meta: RequestMeta,
    actor: uuid.UUID | None = None,
) -> None:
    """A wrong password, and the lock it caused (which addresses it shuts out)."""
    record(session, action, subject_type="user", subject_id=subject, meta=meta, actor=actor)
    if locked:
        scope = {Lock.PAIR: "address", Lock.UNKNOWN_ADDRESSES: "unknown_addresses"}
        record(
            session,
            "identity.account_locked",
            subject_type="user",
            subject_id=subject,
            meta=meta,
            data={"scope": scope.get(locked, "address_and_unknown_addresses"), "of": action},
        )


def session_ended(
    session: Session,
    user_id: uuid.UUID | str,
    session_id: str,
    cause: str,
    meta: RequestMeta,
) -> None:
    record(
        session,
        "identity.session_ended",
        subject_type="session",
        subject_id=session_id,
        meta=meta,
        actor=user_id,
        data={"cause": cause},
    )
