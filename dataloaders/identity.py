"""Identity loaders: users, their roles and effective permissions, one query per batch."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiodataloader import DataLoader

from persistence.database import Database
from persistence.models.identity import Role, User
from persistence.repositories.identity import accounts, roles


class IdentityLoaders:
    def __init__(self, db: Database, *, batching: bool = True) -> None:
        self._db = db
        self.user = DataLoader(self._users, batch=batching)
        self.role_names = DataLoader(self._role_names, batch=batching)
        self.permissions = DataLoader(self._permissions, batch=batching)
        self.role = DataLoader(self._roles, batch=batching)
        self.caller = DataLoader(self._callers, batch=batching)

    async def _users(self, ids: Sequence[uuid.UUID]) -> list[User | None]:
        async with self._db.read() as conn:
            found = await accounts.users_by_ids(conn, ids)
        return [found.get(user_id) for user_id in ids]

    async def _role_names(self, ids: Sequence[uuid.UUID]) -> list[list[str]]:
        async with self._db.read() as conn:
            found = await roles.role_names_by_user(conn, ids)
        return [found.get(user_id, []) for user_id in ids]

    async def _permissions(self, ids: Sequence[uuid.UUID]) -> list[list[str]]:
        async with self._db.read() as conn:
            found = await roles.permissions_by_user(conn, ids)
        return [found.get(user_id, []) for user_id in ids]

    async def _roles(self, names: Sequence[str]) -> list[Role | None]:
        async with self._db.read() as conn:
            found = await roles.roles_by_names(conn, names)
        return [found.get(name) for name in names]

    async def _callers(self, ids: Sequence[uuid.UUID]) -> list[tuple[str, frozenset[str]] | None]:
        """(status, effective permissions) of callers, for the permission directive."""
        async with self._db.read() as conn:
            found = await roles.callers_by_ids(conn, ids)
        return [found.get(user_id) for user_id in ids]
