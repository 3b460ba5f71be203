"""User accounts and their password history."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from persistence.models.identity import PasswordHistory, User, UserRole

_EMAIL_TAKEN = "uq_identity_user_email_lower"


async def add_user(
    session: AsyncSession,
    *,
    email: str,
    display_name: str,
    locale: str,
    password_hash: str,
    roles: Iterable[str],
) -> User | None:
    """A new account with its first password and roles; None when the e-mail is taken
    (case-insensitively). The insert runs in a SAVEPOINT so the caller's transaction goes on."""
    user = User(
        id=uuid.uuid4(),
        email=email,
        display_name=display_name,
        locale=locale,
        password_hash=password_hash,
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError as exc:
        if _EMAIL_TAKEN in str(exc.orig):
            return None
        raise
    session.add(PasswordHistory(user_id=user.id, password_hash=password_hash))
    session.add_all(UserRole(user_id=user.id, role_name=role) for role in roles)
    return user


async def user_by_email(
    session: AsyncSession, email: str, *, for_update: bool = False
) -> User | None:
    query = select(User).where(func.lower(User.email) == email.lower())
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def user_by_id(
    session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False
) -> User | None:
    return await session.get(User, user_id, with_for_update=for_update)


async def users_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, User]:
    rows = (await conn.execute(select(User.__table__).where(User.id.in_(ids)))).mappings().all()
    return {row["id"]: User(**row) for row in rows}


async def users_page(
    session: AsyncSession, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[User]:
    """Keyset page ordered by (created_at, id)."""
    query = select(User).order_by(User.created_at, User.id).limit(limit)
    if after is not None:
        query = query.where(tuple_(User.created_at, User.id) > tuple_(*after))
    return list(await session.scalars(query))


async def active_password_hashes(
    conn: AsyncConnection, emails: Sequence[str]
) -> list[tuple[str, str | None]]:
    """(e-mail, password hash) of the ACTIVE accounts among `emails`."""
    rows = await conn.execute(
        select(User.email, User.password_hash).where(
            User.email.in_(emails), User.status == "ACTIVE"
        )
    )
    return [(email, password_hash) for email, password_hash in rows]


async def recent_password_hashes(
    session: AsyncSession, user_id: uuid.UUID, limit: int
) -> list[str]:
    rows = await session.scalars(
        select(PasswordHistory.password_hash)
        .where(PasswordHistory.user_id == user_id)
        .order_by(PasswordHistory.id.desc())
        .limit(limit)
    )
    return list(rows)


def set_password(session: AsyncSession, user: User, password_hash: str) -> None:
    """The new hash on the account and in its history (flushed with the unit of work)."""
    user.password_hash = password_hash
    user.version += 1
    session.add(PasswordHistory(user_id=user.id, password_hash=password_hash))
