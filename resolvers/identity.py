"""Identity use cases: sign-up, login, refresh, logout, passwords, roles (ID-1..ID-4, ID-11..ID-13)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import hash_password, needs_rehash, verify_password
from auth.principal import Principal
from auth.rate_limit import Lock, digest
from auth.sessions import RefreshTokenReused, Session
from core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from persistence.models.identity import PasswordHistory, Role, User, UserRole
from persistence.repositories import identity as repo
from resolvers import audit, outbox
from resolvers.policy import refuse_self_dealing
from resolvers.services import RequestMeta, Services
from resolvers.validation import required_text

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_DEVICE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
SUPPORTED_LOCALES = ("en", "ko")


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class LoginResult:
    tokens: TokenPair
    session: Session


def normalize_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationFailed("not an e-mail address", field="email")
    local, _, domain = email.partition("@")
    return f"{local}@{domain.lower()}"


async def sign_up(
    services: Services,
    session: AsyncSession,
    *,
    email: str,
    password: str,
    display_name: str,
    locale: str,
    meta: RequestMeta,
    roles: tuple[str, ...] = ("customer",),
) -> User:
    email = normalize_email(email)
    display_name = required_text(display_name, "displayName", 100)
    if locale not in SUPPORTED_LOCALES:
        raise ValidationFailed(
            f"locale must be one of {', '.join(SUPPORTED_LOCALES)}", field="locale"
        )
    services.password_policy.check(password, email=email)
    password_hash = await hash_password(password)
    user = User(
        id=uuid.uuid4(),
        email=email,
        display_name=display_name,
        locale=locale,
        password_hash=password_hash,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        if "uq_identity_user_email_lower" in str(exc.orig):
            raise Conflict("e-mail already registered", field="email") from exc
        raise
    session.add(PasswordHistory(user_id=user.id, password_hash=password_hash))
    session.add_all(UserRole(user_id=user.id, role_name=role) for role in roles)
    _audit_own_action(session, "identity.sign_up", user.id, meta)
    await session.commit()
    return user


def _audit_own_action(
    session: AsyncSession, action: str, user_id: uuid.UUID, meta: RequestMeta
) -> None:
    audit.record(
        session, action, subject_type="user", subject_id=str(user_id), meta=meta, actor=user_id
    )


def _issue(services: Services, user_id: str, session_id: str, refresh_token: str) -> TokenPair:
    access, expires_in = services.tokens.issue_access(user_id, session_id)
    return TokenPair(access, refresh_token, expires_in)


async def login(
    services: Services,
    session: AsyncSession,
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
    user = await repo.user_by_email(session, email)
    # Always one verification (a dummy hash for unknown e-mails): timing reveals no account.
    verified = await verify_password(user.password_hash if user else None, password)
    if user is None or not verified:
        locked = await guard.failed(attempt)
        # An unknown e-mail is audited by its digest: the audit log holds no typed-in address.
        subject = str(user.id) if user else f"email-sha256:{digest(email)}"
        _audit_failure(session, "identity.login_failed", subject, locked, meta)
        await session.commit()
        raise Unauthenticated("wrong e-mail or password", reason="INVALID_CREDENTIALS")
    await guard.succeeded(attempt)
    if user.status == "DISABLED":  # told only to whoever knows the password
        _audit_own_action(session, "identity.login_refused", user.id, meta)
        await session.commit()
        raise Forbidden("the account is disabled", reason="ACCOUNT_DISABLED")
    if needs_rehash(user.password_hash or ""):
        user.password_hash = await hash_password(password)
    started = await services.sessions.start(str(user.id), device_id, device_name)
    audit.record(
        session,
        "identity.login",
        subject_type="user",
        subject_id=str(user.id),
        meta=meta,
        actor=user.id,
        data={"sessionId": started.session.id, "deviceId": device_id},
    )
    if started.replaced_session_id:
        _audit_session_end(session, user.id, started.replaced_session_id, "SESSION_REPLACED", meta)
    await session.commit()
    tokens = _issue(services, str(user.id), started.session.id, started.refresh_token)
    return LoginResult(tokens, started.session)


def _audit_failure(
    session: AsyncSession,
    action: str,
    subject: str,
    locked: Lock,
    meta: RequestMeta,
    actor: uuid.UUID | None = None,
) -> None:
    """A wrong password, and the lock it caused (which addresses it shuts out)."""
    audit.record(session, action, subject_type="user", subject_id=subject, meta=meta, actor=actor)
    if locked:
        scope = {Lock.PAIR: "address", Lock.UNKNOWN_ADDRESSES: "unknown_addresses"}
        audit.record(
            session,
            "identity.account_locked",
            subject_type="user",
            subject_id=subject,
            meta=meta,
            data={"scope": scope.get(locked, "address_and_unknown_addresses"), "of": action},
        )


def _audit_session_end(
    session: AsyncSession, user_id: uuid.UUID | str, session_id: str, cause: str, meta: RequestMeta
) -> None:
    audit.record(
        session,
        "identity.session_ended",
        subject_type="session",
        subject_id=session_id,
        meta=meta,
        actor=user_id,
        data={"cause": cause},
    )


async def refresh(
    services: Services, session: AsyncSession, *, refresh_token: str, meta: RequestMeta
) -> TokenPair:
    try:
        user_id, session_id, fresh = await services.sessions.rotate_refresh(refresh_token)
    except RefreshTokenReused as reused:
        _audit_session_end(session, reused.user_id, reused.session_id, "TOKEN_REUSED", meta)
        await session.commit()
        raise
    return _issue(services, user_id, session_id, fresh)


async def logout(
    services: Services, session: AsyncSession, *, principal: Principal, meta: RequestMeta
) -> bool:
    ended = await services.sessions.end(principal.session.id, "LOGGED_OUT")
    if ended:
        _audit_session_end(session, principal.user_id, principal.session.id, "LOGGED_OUT", meta)
        await session.commit()
    return ended


async def change_password(
    services: Services,
    session: AsyncSession,
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
    user = await session.get(User, principal.user_id, with_for_update=True)
    if user is None:
        raise NotFound("user")
    if not await verify_password(user.password_hash, current_password):
        locked = await services.login_guard.failed(attempt)
        _audit_failure(
            session, "identity.password_change_failed", str(user.id), locked, meta, user.id
        )
        await session.commit()
        raise ValidationFailed(
            "current password is wrong", reason="WRONG_PASSWORD", field="currentPassword"
        )
    await services.login_guard.succeeded(attempt)
    policy = services.password_policy
    policy.check(new_password, email=user.email)
    for old_hash in await repo.recent_password_hashes(session, user.id, policy.history):
        if await verify_password(old_hash, new_password):
            raise ValidationFailed(
                f"password was used among the last {policy.history}",
                reason="PASSWORD_REUSED",
                field="newPassword",
            )
    user.password_hash = await hash_password(new_password)
    user.version += 1
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash))
    _audit_own_action(session, "identity.password_changed", user.id, meta)
    await session.commit()


async def _user_and_role(session: AsyncSession, user_id: str, role: str) -> uuid.UUID:
    try:
        uid = uuid.UUID(user_id)
    except ValueError as exc:
        raise NotFound("user", field="userId") from exc
    if await session.get(User, uid) is None:
        raise NotFound("user", field="userId")
    if await session.get(Role, role) is None:
        raise NotFound("role", field="role")
    return uid


async def assign_role(
    session: AsyncSession, *, actor: Principal, user_id: str, role: str, meta: RequestMeta
) -> uuid.UUID:
    uid = await _user_and_role(session, user_id, role)
    refuse_self_dealing(actor.user_id, uid, "granting a role")
    inserted = await session.execute(
        insert(UserRole)
        .values(user_id=uid, role_name=role, granted_by=actor.user_id)
        .on_conflict_do_nothing()
        .returning(UserRole.role_name)
    )
    if inserted.first() is not None:
        _record_role_change(session, actor, uid, role, "granted", meta)
    await session.commit()
    return uid


async def revoke_role(
    session: AsyncSession, *, actor: Principal, user_id: str, role: str, meta: RequestMeta
) -> uuid.UUID:
    uid = await _user_and_role(session, user_id, role)
    removed = await session.execute(
        delete(UserRole)
        .where(UserRole.user_id == uid, UserRole.role_name == role)
        .returning(UserRole.role_name)
    )
    if removed.first() is not None:
        _record_role_change(session, actor, uid, role, "revoked", meta)
    await session.commit()
    return uid


def _record_role_change(
    session: AsyncSession,
    actor: Principal,
    user_id: uuid.UUID,
    role: str,
    change: str,
    meta: RequestMeta,
) -> None:
    audit.record(
        session,
        "identity.role_changed",
        subject_type="user",
        subject_id=str(user_id),
        meta=meta,
        actor=actor.user_id,
        data={"role": role, "change": change},
    )
    outbox.emit(
        session, f"topic:user:{user_id}", {"kind": "ROLES_CHANGED", "role": role, "change": change}
    )


async def create_user(
    services: Services, *, email: str, password: str, display_name: str, role: str
) -> User:
    """Operator path (`tessera create-user`): same rules as sign-up, chosen role."""
    async with services.db.unit_of_work() as session:
        if await session.scalar(select(Role.name).where(Role.name == role)) is None:
            raise NotFound(f"role {role!r}", field="role")
        return await sign_up(
            services,
            session,
            email=email,
            password=password,
            display_name=display_name,
            locale="en",
            meta=RequestMeta(address="cli"),
            roles=(role,),
        )
