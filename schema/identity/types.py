"""The identity subgraph's object types and payloads."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import strawberry

from persistence.models.identity import User as UserRow
from schema.context import Info
from schema.permissions import has_permission


@strawberry.type
class Role:
    name: str
    description: str


@strawberry.type
class Session:
    id: strawberry.ID
    device_id: str
    device_name: str
    created_at: datetime
    idle_expires_at: datetime


def session_type(session: Any) -> Session:
    return Session(
        id=strawberry.ID(session.id),
        device_id=session.device_id,
        device_name=session.device_name,
        created_at=session.created_at,
        idle_expires_at=session.idle_expires_at,
    )


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    email: str
    display_name: str
    locale: str
    status: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=strawberry.ID(str(row.id)),
            email=row.email,
            display_name=row.display_name,
            locale=row.locale,
            status=row.status,
            created_at=row.created_at,
        )

    @property
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(self.id)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> User | None:
        """Federation entry point: the user themself or holders of identity.users.read."""
        principal = await info.context.principal()
        try:
            user_id = uuid.UUID(id)
        except ValueError:
            return None
        if principal.user_id != user_id and not await has_permission(info, "identity.users.read"):
            return None
        row = await info.context.loaders.identity.user.load(user_id)
        return cls.from_row(row) if row else None

    @strawberry.field
    async def roles(self, info: Info) -> list[Role]:
        names = await info.context.loaders.identity.role_names.load(self.uuid)
        roles = await info.context.loaders.identity.role.load_many(names)
        return [Role(name=r.name, description=r.description) for r in roles if r is not None]

    @strawberry.field(description="Effective permissions, including those of inherited roles.")
    async def permissions(self, info: Info) -> list[str]:
        return await info.context.loaders.identity.permissions.load(self.uuid)

    @strawberry.field(description="The caller's own current session; null for other users.")
    async def session(self, info: Info) -> Session | None:
        principal = await info.context.optional_principal()
        if principal is None or principal.user_id != self.uuid:
            return None
        return session_type(principal.session)


@strawberry.type
class AuditEntry:
    id: strawberry.ID
    occurred_at: datetime
    action: str
    actor_user_id: strawberry.ID | None
    subject_type: str
    subject_id: str
    source_address: str | None
    data: strawberry.scalars.JSON


@strawberry.type
class SignUpPayload:
    user: User


@strawberry.type
class LoginPayload:
    access_token: str | None
    refresh_token: str | None
    expires_in: int | None
    mfa_required: bool
    mfa_challenge: str | None
    session: Session | None


@strawberry.type
class RefreshPayload:
    access_token: str
    refresh_token: str
    expires_in: int


@strawberry.enum
class SessionEventKind(enum.Enum):
    SESSION_REPLACED = "SESSION_REPLACED"
    SESSION_EXPIRED = "SESSION_EXPIRED"
    LOGGED_OUT = "LOGGED_OUT"
    TOKEN_REUSED = "TOKEN_REUSED"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    ENDED_BY_OPERATOR = "ENDED_BY_OPERATOR"


@strawberry.type
class SessionEvent:
    kind: SessionEventKind
    reason: str | None
    at: datetime
