"""Identity queries. Batch functions take many ids and answer in one statement."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from persistence.models.audit import AuditLog
from persistence.models.identity import PasswordHistory, Role, User, UserRole

# Every role a user holds, directly or inherited.
_HELD_ROLES = """
    WITH RECURSIVE held(user_id, role_name) AS (
        SELECT user_id, role_name FROM identity_user_role WHERE user_id = ANY(:ids)
        UNION
        SELECT held.user_id, parent.parent_name
        FROM held JOIN identity_role_parent parent ON parent.role_name = held.role_name
    )
"""
_EFFECTIVE_PERMISSIONS = text(
    _HELD_ROLES
    + """
    SELECT DISTINCT held.user_id, grant_.permission
    FROM held JOIN identity_role_permission grant_ ON grant_.role_name = held.role_name
    ORDER BY grant_.permission
    """
)
_CALLERS = text(
    _HELD_ROLES
    + """
    SELECT account.id, account.status,
           array_remove(array_agg(DISTINCT grant_.permission), NULL) AS permissions
    FROM identity_user account
    LEFT JOIN held ON held.user_id = account.id
    LEFT JOIN identity_role_permission grant_ ON grant_.role_name = held.role_name
    WHERE account.id = ANY(:ids)
    GROUP BY account.id, account.status
    """
)


async def callers_by_ids(
    conn: AsyncConnection, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, frozenset[str]]]:
    """Account status and effective permissions, in one statement (the directive's check)."""
    rows = await conn.execute(_CALLERS, {"ids": list(ids)})
    return {user_id: (status, frozenset(granted)) for user_id, status, granted in rows}


async def users_by_ids(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, User]:
    rows = (await conn.execute(select(User.__table__).where(User.id.in_(ids)))).mappings().all()
    return {row["id"]: User(**row) for row in rows}


async def role_names_by_user(
    conn: AsyncConnection, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    rows = await conn.execute(
        select(UserRole.user_id, UserRole.role_name)
        .where(UserRole.user_id.in_(ids))
        .order_by(UserRole.role_name)
    )
    grouped: dict[uuid.UUID, list[str]] = defaultdict(list)
    for user_id, role_name in rows:
        grouped[user_id].append(role_name)
    return grouped


async def permissions_by_user(
    conn: AsyncConnection, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    rows = await conn.execute(_EFFECTIVE_PERMISSIONS, {"ids": list(ids)})
    grouped: dict[uuid.UUID, list[str]] = defaultdict(list)
    for user_id, permission in rows:
        grouped[user_id].append(permission)
    return grouped


async def roles_by_names(conn: AsyncConnection, names: Sequence[str]) -> dict[str, Role]:
    rows = (await conn.execute(select(Role.__table__).where(Role.name.in_(names)))).mappings().all()
    return {row["name"]: Role(**row) for row in rows}


async def user_by_email(
    session: AsyncSession, email: str, *, for_update: bool = False
) -> User | None:
    query = select(User).where(func.lower(User.email) == email.lower())
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


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


def users_page(after: tuple[datetime, uuid.UUID] | None, limit: int) -> Select:
    """Keyset page ordered by (created_at, id)."""
    query = select(User).order_by(User.created_at, User.id).limit(limit)
    if after is not None:
        query = query.where(tuple_(User.created_at, User.id) > tuple_(*after))
    return query


def audit_page(
    after_id: int | None, limit: int, action: str | None, subject_id: str | None
) -> Select:
    """Newest first, keyset on id."""
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if after_id is not None:
        query = query.where(AuditLog.id < after_id)
    if action:
        query = query.where(AuditLog.action == action)
    if subject_id:
        query = query.where(AuditLog.subject_id == subject_id)
    return query
