"""Sign-up (ID-1) and the operator's `tessera create-user`."""

from __future__ import annotations

import re

from auth.passwords import hash_password
from core.errors import Conflict, NotFound, ValidationFailed
from persistence.models.identity import User
from persistence.repositories.identity import accounts, roles
from persistence.unit_of_work import UnitOfWork
from resolvers.identity import audit
from resolvers.services import RequestMeta, Services
from resolvers.validation import required_text

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
SUPPORTED_LOCALES = ("en", "ko")


def normalize_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationFailed("not an e-mail address", field="email")
    local, _, domain = email.partition("@")
    return f"{local}@{domain.lower()}"


async def sign_up(
    services: Services,
    uow: UnitOfWork,
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
    user = await accounts.add_user(
        uow.session,
        email=email,
        display_name=display_name,
        locale=locale,
        password_hash=await hash_password(password),
        roles=roles,
    )
    if user is None:
        raise Conflict("e-mail already registered", field="email")
    audit.own_action(uow.session, "identity.sign_up", user.id, meta)
    return user


async def create_user(
    services: Services,
    uow: UnitOfWork,
    *,
    email: str,
    password: str,
    display_name: str,
    role: str,
) -> User:
    """Operator path (`tessera create-user`): same rules as sign-up, chosen role."""
    if not await roles.role_exists(uow.session, role):
        raise NotFound(f"role {role!r}", field="role")
    return await sign_up(
        services,
        uow,
        email=email,
        password=password,
        display_name=display_name,
        locale="en",
        meta=RequestMeta(address="cli"),
        roles=(role,),
    )
