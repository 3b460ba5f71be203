"""Account status under the operator's control (ID-14, ID-17).

DISABLED: login refused, sessions ended at once (their sockets close through the session
topic), every `requires()` field refused. Enabling returns the account to what it was
(WITHDRAWN stays withdrawn). Operators may not act on their own account.
"""

from __future__ import annotations

from typing import Any

from auth.principal import Principal
from core.errors import ACCOUNT_DISABLED, NotFound
from persistence.models.identity import User
from persistence.repositories.identity import accounts
from persistence.unit_of_work import UnitOfWork
from resolvers.identity import audit
from resolvers.policy import refuse_self_dealing
from resolvers.services import RequestMeta, Services
from resolvers.validation import parse_id

ENDED_BY_OPERATOR = "ENDED_BY_OPERATOR"


async def _target(uow: UnitOfWork, actor: Principal, user_id: str, what: str) -> User:
    uid = parse_id(user_id, "userId")
    user = await accounts.user_by_id(uow.session, uid, for_update=True)
    if user is None:
        raise NotFound("no such user", field="userId")
    refuse_self_dealing(actor.user_id, uid, what)
    return user


def _record(
    uow: UnitOfWork, action: str, actor: Principal, user: User, meta: RequestMeta, data: Any
) -> None:
    audit.record(
        uow.session,
        action,
        subject_type="user",
        subject_id=str(user.id),
        meta=meta,
        actor=actor.user_id,
        data=data,
    )


async def disable(
    services: Services,
    uow: UnitOfWork,
    *,
    actor: Principal,
    user_id: str,
    reason: str | None,
    meta: RequestMeta,
) -> User:
    user = await _target(uow, actor, user_id, "disabling")
    if user.status != "DISABLED":
        user.status = "DISABLED"
        user.version += 1
        # Ended before the commit: should the commit fail, the customer merely signs in again.
        ended = await services.sessions.end_user_sessions(str(user.id), ACCOUNT_DISABLED)
        _record(
            uow,
            "identity.account_disabled",
            actor,
            user,
            meta,
            {"reason": (reason or "").strip()[:500], "sessionsEnded": ended},
        )
    return user


async def enable(uow: UnitOfWork, *, actor: Principal, user_id: str, meta: RequestMeta) -> User:
    user = await _target(uow, actor, user_id, "enabling")
    if user.status == "DISABLED":
        user.status = "WITHDRAWN" if user.withdrawn_at is not None else "ACTIVE"
        user.version += 1
        _record(uow, "identity.account_enabled", actor, user, meta, {"status": user.status})
    return user


async def end_sessions(
    services: Services, uow: UnitOfWork, *, actor: Principal, user_id: str, meta: RequestMeta
) -> int:
    user = await _target(uow, actor, user_id, "ending sessions")
    ended = await services.sessions.end_user_sessions(str(user.id), ENDED_BY_OPERATOR)
    _record(uow, "identity.sessions_ended", actor, user, meta, {"sessionsEnded": ended})
    return len(ended)
