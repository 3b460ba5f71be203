"""Login, refresh and logout: sessions and their tokens (ID-2, ID-3, ID-11)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from auth.passwords import hash_password, needs_rehash, verify_password
from auth.principal import Principal
from auth.rate_limit import digest
from auth.sessions import RefreshTokenReused, Session
from core.errors import Forbidden, Unauthenticated, ValidationFailed
from persistence.repositories.identity import accounts
from persistence.unit_of_work import UnitOfWork
from resolvers.identity import audit
from resolvers.identity.signup import normalize_email
from resolvers.services import RequestMeta, Services
from resolvers.validation import required_text

_DEVICE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class LoginResult:
    tokens: TokenPair
    session: Session


def _issue(services: Services, user_id: str, session_id: str, refresh_token: str) -> TokenPair:
    access, expires_in = services.tokens.issue_access(user_id, session_id)
    return TokenPair(access, refresh_token, expires_in)


async def login(
    services: Services,
    uow: UnitOfWork,
    *,
    email: str,
    password: str,
    device_id: str,
    device_name: str,
    meta: RequestMeta,
) -> LoginResult:
    email = normalize_email(email)
    if not _DEVICE_ID.match(device_id):
        raise ValidationFailed("deviceId must be 1-100 letters, digits or ._:-", field="deviceId")
    device_name = required_text(device_name, "deviceName", 100)
    guard = services.login_guard
    # Reserved before the slow hash: parallel guesses cannot outrun the count (ID-11).
    attempt = await guard.reserve(email, meta.address)
    user = await accounts.user_by_email(uow.session, email)
    # Always one verification (a dummy hash for unknown e-mails): timing reveals no account.
    verified = await verify_password(user.password_hash if user else None, password)
    if user is None or not verified:
        locked = await guard.failed(attempt)
        # An unknown e-mail is audited by its digest: the audit log holds no typed-in address.
        subject = str(user.id) if user else f"email-sha256:{digest(email)}"
        await audit.record_apart(
            services.db,
            lambda session: audit.failure(session, "identity.login_failed", subject, locked, meta),
        )
        raise Unauthenticated("wrong e-mail or password", reason="INVALID_CREDENTIALS")
    await guard.succeeded(attempt)
    if user.status == "DISABLED":  # told only to whoever knows the password
        user_id = user.id
        await audit.record_apart(
            services.db,
            lambda session: audit.own_action(session, "identity.login_refused", user_id, meta),
        )
        raise Forbidden("the account is disabled", reason="ACCOUNT_DISABLED")
    if needs_rehash(user.password_hash or ""):
        user.password_hash = await hash_password(password)
    started = await services.sessions.start(str(user.id), device_id, device_name)
    audit.record(
        uow.session,
        "identity.login",
        subject_type="user",
        subject_id=str(user.id),
        meta=meta,
        actor=user.id,
        data={"sessionId": started.session.id, "deviceId": device_id},
    )
    if started.replaced_session_id:
        audit.session_ended(
            uow.session, user.id, started.replaced_session_id, "SESSION_REPLACED", meta
        )
    tokens = _issue(services, str(user.id), started.session.id, started.refresh_token)
    return LoginResult(tokens, started.session)


async def refresh(services: Services, *, refresh_token: str, meta: RequestMeta) -> TokenPair:
    """Writes nothing but the audit of a re-used token (theft: the session ends)."""
    try:
        user_id, session_id, fresh = await services.sessions.rotate_refresh(refresh_token)
    except RefreshTokenReused as reused:
        whose, which = reused.user_id, reused.session_id
        await audit.record_apart(
            services.db,
            lambda session: audit.session_ended(session, whose, which, "TOKEN_REUSED", meta),
        )
        raise
    return _issue(services, user_id, session_id, fresh)


async def logout(
    services: Services, uow: UnitOfWork, *, principal: Principal, meta: RequestMeta
) -> bool:
    ended = await services.sessions.end(principal.session.id, "LOGGED_OUT")
    if ended:
        audit.session_ended(
            uow.session, principal.user_id, principal.session.id, "LOGGED_OUT", meta
        )
    return ended
