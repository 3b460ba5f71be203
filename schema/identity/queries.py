"""The identity subgraph's root queries."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from core.errors import NotFound, ValidationFailed
from persistence.models.audit import AuditLog
from persistence.repositories.identity import accounts as account_rows
from persistence.repositories.identity import audit as audit_rows
from persistence.repositories.identity import roles as role_rows
from schema.context import Info
from schema.identity.types import AuditEntry, Role, User
from schema.pagination import (
    Connection,
    check_page_size,
    connection,
    decode_cursor,
    encode_cursor,
)
from schema.permissions import requires


def _audit_entry(row: AuditLog) -> AuditEntry:
    return AuditEntry(
        id=strawberry.ID(str(row.id)),
        occurred_at=row.occurred_at,
        action=row.action,
        actor_user_id=strawberry.ID(str(row.actor_user_id)) if row.actor_user_id else None,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        source_address=row.source_address,
        data=row.data,
    )


@strawberry.type
class IdentityQuery:
    @strawberry.field(extensions=requires())
    async def me(self, info: Info) -> User:
        principal = await info.context.principal()
        row = await info.context.loaders.identity.user.load(principal.user_id)
        if row is None:
            raise NotFound("user")
        return User.from_row(row)

    @strawberry.field(extensions=requires("identity.users.read"))
    async def user(self, info: Info, id: strawberry.ID) -> User:
        try:
            row = await info.context.loaders.identity.user.load(uuid.UUID(id))
        except ValueError:
            row = None
        if row is None:
            raise NotFound("user", field="id")
        return User.from_row(row)

    @strawberry.field(
        extensions=requires("identity.users.read"), description="Users, oldest first."
    )
    async def users(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[User]:
        limit = check_page_size(first)
        cursor = decode_cursor(after)
        keyset = None
        if cursor is not None:
            try:
                keyset = (datetime.fromisoformat(cursor[0]), uuid.UUID(cursor[1]))
            except (ValueError, IndexError, TypeError) as exc:
                raise ValidationFailed("not a cursor from this API", field="after") from exc
        rows = await account_rows.users_page(info.context.db(), keyset, limit + 1)
        return connection(
            rows, limit, lambda r: encode_cursor(r.created_at.isoformat(), str(r.id)), User.from_row
        )

    @strawberry.field(extensions=requires("identity.users.read"))
    async def roles(self, info: Info) -> list[Role]:
        rows = await role_rows.all_roles(info.context.db())
        return [Role(name=name, description=description) for name, description in rows]

    @strawberry.field(extensions=requires("identity.audit.read"), description="Newest first.")
    async def audit_log(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        action: str | None = None,
        subject_id: str | None = None,
    ) -> Connection[AuditEntry]:
        limit = check_page_size(first)
        cursor = decode_cursor(after)
        after_id = int(cursor[0]) if cursor and str(cursor[0]).isdigit() else None
        rows = await audit_rows.audit_page(
            info.context.db(), after_id, limit + 1, action, subject_id
        )
        return connection(rows, limit, lambda r: encode_cursor(r.id), _audit_entry)
