"""Changing one's password (ID-1, ID-11): throttled, history-checked, audited."""

from __future__ import annotations

from auth.passwords import hash_password, verify_password
from auth.principal import Principal
from core.errors import NotFound, RateLimited, ValidationFailed
from persistence.repositories.identity import accounts
from persistence.unit_of_work import UnitOfWork
from resolvers.identity import audit
from resolvers.services import RequestMeta, Services


async def change_password(
    services: Services,
    uow: UnitOfWork,
    *,
    principal: Principal,
    current_password: str,
    new_password: str,
    meta: RequestMeta,
) -> None:
    # Throttled like logins: a stolen session cannot guess the current password (ID-11).
    attempt = await services.login_guard.reserve(
        str(principal.user_id), meta.address, scope="password-change", locked=RateLimited
    )
    user = await accounts.user_by_id(uow.session, principal.user_id, for_update=True)
    if user is None:
        raise NotFound("user")
    if not await verify_password(user.password_hash, current_password):
        locked = await services.login_guard.failed(attempt)
        user_id = user.id
        await audit.record_apart(
            services.db,
            lambda session: audit.failure(
                session, "identity.password_change_failed", str(user_id), locked, meta, user_id
            ),
        )
        raise ValidationFailed(
            "current password is wrong", reason="WRONG_PASSWORD", field="currentPassword"
        )
    await services.login_guard.succeeded(attempt)
    policy = services.password_policy
    policy.check(new_password, email=user.email)
    for old_hash in await accounts.recent_password_hashes(uow.session, user.id, policy.history):
        if await verify_password(old_hash, new_password):
            raise ValidationFailed(
                f"password was used among the last {policy.history}",
                reason="PASSWORD_REUSED",
                field="newPassword",
            )
    accounts.set_password(uow.session, user, await hash_password(new_password))
    audit.own_action(uow.session, "identity.password_changed", user.id, meta)
