"""Identity subgraph: accounts, sessions, roles, audit (ID-1..ID-4, ID-10..ID-13)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select

from core.errors import NotFound, ValidationFailed
from persistence.models.audit import AuditLog
from persistence.models.identity import Role as RoleRow
from persistence.models.identity import User as UserRow
from persistence.repositories import identity as repo
from resolvers import accounts
from resolvers import identity as use_cases
from schema.context import Info
from schema.pagination import (
    Connection,
    check_page_size,
    connection,
    decode_cursor,
    encode_cursor,
)
from schema.permissions import has_permission, requires


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


def _session_type(session: Any) -> Session:
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
        return _session_type(principal.session)


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


@strawberry.input
class SignUpInput:
    email: str
    password: str
    display_name: str
    locale: str = "en"


@strawberry.input
class LoginInput:
    email: str
    password: str
    device_id: str
    device_name: str = "unknown device"


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
        rows = list(await info.context.db().scalars(repo.users_page(keyset, limit + 1)))
        return connection(
            rows, limit, lambda r: encode_cursor(r.created_at.isoformat(), str(r.id)), User.from_row
        )

    @strawberry.field(extensions=requires("identity.users.read"))
    async def roles(self, info: Info) -> list[Role]:
        rows = await info.context.db().execute(
            select(RoleRow.name, RoleRow.description).order_by(RoleRow.name)
        )
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
        rows: list[AuditLog] = list(
            await info.context.db().scalars(
                repo.audit_page(after_id, limit + 1, action, subject_id)
            )
        )
        return connection(
            rows,
            limit,
            lambda r: encode_cursor(r.id),
            lambda r: AuditEntry(
                id=strawberry.ID(str(r.id)),
                occurred_at=r.occurred_at,
                action=r.action,
                actor_user_id=strawberry.ID(str(r.actor_user_id)) if r.actor_user_id else None,
                subject_type=r.subject_type,
                subject_id=r.subject_id,
                source_address=r.source_address,
                data=r.data,
            ),
        )


def _login_payload(result: use_cases.LoginResult) -> LoginPayload:
    return LoginPayload(
        access_token=result.tokens.access_token,
        refresh_token=result.tokens.refresh_token,
        expires_in=result.tokens.expires_in,
        mfa_required=False,
        mfa_challenge=None,
        session=_session_type(result.session),
    )


@strawberry.type
class IdentityMutation:
    @strawberry.mutation
    async def sign_up(self, info: Info, input: SignUpInput) -> SignUpPayload:
        ctx = info.context
        row = await use_cases.sign_up(
            ctx.services,
            ctx.db(),
            email=input.email,
            password=input.password,
            display_name=input.display_name,
            locale=input.locale,
            meta=ctx.meta,
        )
        return SignUpPayload(user=User.from_row(row))

    @strawberry.mutation
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        ctx = info.context
        result = await use_cases.login(
            ctx.services,
            ctx.db(),
            email=input.email,
            password=input.password,
            device_id=input.device_id,
            device_name=input.device_name,
            meta=ctx.meta,
        )
        return _login_payload(result)

    @strawberry.mutation
    async def refresh_session(self, info: Info, refresh_token: str) -> RefreshPayload:
        ctx = info.context
        pair = await use_cases.refresh(
            ctx.services, ctx.db(), refresh_token=refresh_token, meta=ctx.meta
        )
        return RefreshPayload(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
        )

    @strawberry.mutation(extensions=requires())
    async def logout(self, info: Info) -> bool:
        ctx = info.context
        return await use_cases.logout(
            ctx.services, ctx.db(), principal=await ctx.principal(), meta=ctx.meta
        )

    @strawberry.mutation(extensions=requires())
    async def change_password(self, info: Info, current_password: str, new_password: str) -> bool:
        ctx = info.context
        await use_cases.change_password(
            ctx.services,
            ctx.db(),
            principal=await ctx.principal(),
            current_password=current_password,
            new_password=new_password,
            meta=ctx.meta,
        )
        return True

    @strawberry.mutation(extensions=requires("identity.roles.manage"))
    async def assign_role(self, info: Info, user_id: strawberry.ID, role: str) -> User:
        ctx = info.context
        uid = await use_cases.assign_role(
            ctx.db(), actor=await ctx.principal(), user_id=user_id, role=role, meta=ctx.meta
        )
        return await _fresh_user(info, uid)

    @strawberry.mutation(extensions=requires("identity.roles.manage"))
    async def revoke_role(self, info: Info, user_id: strawberry.ID, role: str) -> User:
        ctx = info.context
        uid = await use_cases.revoke_role(
            ctx.db(), actor=await ctx.principal(), user_id=user_id, role=role, meta=ctx.meta
        )
        return await _fresh_user(info, uid)

    @strawberry.mutation(
        extensions=requires("identity.accounts.manage"),
        description="Disable an account: login refused, its sessions end at once (ID-17).",
    )
    async def disable_account(
        self, info: Info, user_id: strawberry.ID, reason: str | None = None
    ) -> User:
        ctx = info.context
        uid = await accounts.disable(
            ctx.services,
            ctx.db(),
            actor=await ctx.principal(),
            user_id=user_id,
            reason=reason,
            meta=ctx.meta,
        )
        return await _fresh_user(info, uid)

    @strawberry.mutation(extensions=requires("identity.accounts.manage"))
    async def enable_account(self, info: Info, user_id: strawberry.ID) -> User:
        ctx = info.context
        uid = await accounts.enable(
            ctx.db(), actor=await ctx.principal(), user_id=user_id, meta=ctx.meta
        )
        return await _fresh_user(info, uid)

    @strawberry.mutation(
        extensions=requires("identity.accounts.manage"),
        description="End every session of an account (risk detected); returns how many ended.",
    )
    async def end_account_sessions(self, info: Info, user_id: strawberry.ID) -> int:
        ctx = info.context
        return await accounts.end_sessions(
            ctx.services, ctx.db(), actor=await ctx.principal(), user_id=user_id, meta=ctx.meta
        )


async def _fresh_user(info: Info, user_id: uuid.UUID) -> User:
    row = await info.context.loaders.identity.user.load(user_id)
    if row is None:
        raise NotFound("user")
    return User.from_row(row)


@strawberry.type
class IdentitySubscription:
    @strawberry.subscription(
        extensions=requires(),
        description="Events of the caller's own session; the server closes the socket after one.",
    )
    async def session_events(self, info: Info) -> AsyncGenerator[SessionEvent, None]:
        socket = info.context.socket
        if socket is None:
            raise ValidationFailed("sessionEvents needs a WebSocket", reason="WEBSOCKET_REQUIRED")
        async with socket.listen() as events:
            event = await events.get()
            yield SessionEvent(
                kind=SessionEventKind(event["kind"]),
                reason=event.get("reason"),
                at=datetime.fromisoformat(event["at"]),
            )
            socket.delivered(event)
