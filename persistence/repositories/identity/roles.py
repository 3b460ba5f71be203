"""Roles, their grants to users, effective permissions (inherited through parents) and the
built-in catalogue's sync (ID-12)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from persistence.models.identity import Permission, Role, RoleParent, RolePermission, UserRole

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


async def all_roles(session: AsyncSession) -> list[tuple[str, str]]:
    """(name, description) of every role, by name."""
    rows = await session.execute(select(Role.name, Role.description).order_by(Role.name))
    return [(name, description) for name, description in rows]


async def role_exists(session: AsyncSession, name: str) -> bool:
    return await session.get(Role, name) is not None


async def grant_role(
    session: AsyncSession, user_id: uuid.UUID, role: str, granted_by: uuid.UUID
) -> bool:
    """True when the user did not hold the role yet."""
    inserted = await session.execute(
        insert(UserRole)
        .values(user_id=user_id, role_name=role, granted_by=granted_by)
        .on_conflict_do_nothing()
        .returning(UserRole.role_name)
    )
    return inserted.first() is not None


async def withdraw_role(session: AsyncSession, user_id: uuid.UUID, role: str) -> bool:
    """True when the user held the role."""
    removed = await session.execute(
        delete(UserRole)
        .where(UserRole.user_id == user_id, UserRole.role_name == role)
        .returning(UserRole.role_name)
    )
    return removed.first() is not None


async def sync_catalogue(
    session: AsyncSession,
    permissions: Mapping[str, str],
    roles: Sequence[tuple[str, str]],
    parents: Sequence[tuple[str, str]],
    grants: Sequence[tuple[str, str]],
) -> None:
    """Make the built-in roles match the catalogue (idempotent): permissions and roles
    upserted, the built-in roles' parents and grants replaced. `roles` holds (name,
    description), `parents` (role, parent), `grants` (role, permission)."""
    await session.execute(
        insert(Permission)
        .values([{"name": name, "description": text} for name, text in permissions.items()])
        .on_conflict_do_update(
            index_elements=["name"], set_={"description": insert(Permission).excluded.description}
        )
    )
    await session.execute(
        insert(Role)
        .values([{"name": name, "description": text, "builtin": True} for name, text in roles])
        .on_conflict_do_update(
            index_elements=["name"],
            set_={"description": insert(Role).excluded.description, "builtin": True},
        )
    )
    names = [name for name, _ in roles]
    await session.execute(delete(RoleParent).where(RoleParent.role_name.in_(names)))
    await session.execute(delete(RolePermission).where(RolePermission.role_name.in_(names)))
    await session.execute(
        insert(RoleParent).values([{"role_name": r, "parent_name": p} for r, p in parents])
    )
    await session.execute(
        insert(RolePermission).values([{"role_name": r, "permission": p} for r, p in grants])
    )
