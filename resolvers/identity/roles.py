"""Granting and withdrawing roles (ID-12): audited, announced on the user's topic."""

from __future__ import annotations

import uuid

from auth.principal import Principal
from core.errors import NotFound
from persistence.models.identity import User
from persistence.repositories.identity import accounts, roles
from persistence.unit_of_work import UnitOfWork
from resolvers import outbox
from resolvers.identity import audit
from resolvers.policy import refuse_self_dealing
from resolvers.services import RequestMeta


async def _user_and_role(uow: UnitOfWork, user_id: str, role: str) -> User:
    try:
        uid = uuid.UUID(user_id)
    except ValueError as exc:
        raise NotFound("user", field="userId") from exc
    user = await accounts.user_by_id(uow.session, uid)
    if user is None:
        raise NotFound("user", field="userId")
    if not await roles.role_exists(uow.session, role):
        raise NotFound("role", field="role")
    return user


async def assign_role(
    uow: UnitOfWork, *, actor: Principal, user_id: str, role: str, meta: RequestMeta
) -> User:
    user = await _user_and_role(uow, user_id, role)
    refuse_self_dealing(actor.user_id, user.id, "granting a role")
    if await roles.grant_role(uow.session, user.id, role, granted_by=actor.user_id):
        _record_change(uow, actor, user.id, role, "granted", meta)
    return user


async def revoke_role(
    uow: UnitOfWork, *, actor: Principal, user_id: str, role: str, meta: RequestMeta
) -> User:
    user = await _user_and_role(uow, user_id, role)
    if await roles.withdraw_role(uow.session, user.id, role):
        _record_change(uow, actor, user.id, role, "revoked", meta)
    return user


def _record_change(
    uow: UnitOfWork, actor: Principal, user_id: uuid.UUID, role: str, change: str, meta: RequestMeta
) -> None:
    """The audit row and the ROLES_CHANGED event commit with the change (outbox: no dual
    write; the relay publishes it on the user's topic)."""
    audit.record(
        uow.session,
        "identity.role_changed",
        subject_type="user",
        subject_id=str(user_id),
        meta=meta,
        actor=actor.user_id,
        data={"role": role, "change": change},
    )
    outbox.emit(
        uow.session,
        f"topic:user:{user_id}",
        {"kind": "ROLES_CHANGED", "role": role, "change": change},
    )
