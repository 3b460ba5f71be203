"""The identity subgraph's root mutations: each hands the request's unit of work to its use
case, which only flushes; schema/mutations.py commits it once the field returns."""

from __future__ import annotations

import strawberry

from resolvers.identity import accounts, passwords, roles, sessions, signup
from schema.context import Info
from schema.identity.inputs import LoginInput, SignUpInput
from schema.identity.types import (
    LoginPayload,
    RefreshPayload,
    SignUpPayload,
    User,
    session_type,
)
from schema.permissions import requires


def _login_payload(result: sessions.LoginResult) -> LoginPayload:
    return LoginPayload(
        access_token=result.tokens.access_token,
        refresh_token=result.tokens.refresh_token,
        expires_in=result.tokens.expires_in,
        mfa_required=False,
        mfa_challenge=None,
        session=session_type(result.session),
    )


@strawberry.type
class IdentityMutation:
    @strawberry.mutation
    async def sign_up(self, info: Info, input: SignUpInput) -> SignUpPayload:
        ctx = info.context
        row = await signup.sign_up(
            ctx.services,
            ctx.unit_of_work(),
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
        result = await sessions.login(
            ctx.services,
            ctx.unit_of_work(),
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
        pair = await sessions.refresh(ctx.services, refresh_token=refresh_token, meta=ctx.meta)
        return RefreshPayload(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
        )

    @strawberry.mutation(extensions=requires())
    async def logout(self, info: Info) -> bool:
        ctx = info.context
        return await sessions.logout(
            ctx.services, ctx.unit_of_work(), principal=await ctx.principal(), meta=ctx.meta
        )

    @strawberry.mutation(extensions=requires())
    async def change_password(self, info: Info, current_password: str, new_password: str) -> bool:
        ctx = info.context
        await passwords.change_password(
            ctx.services,
            ctx.unit_of_work(),
            principal=await ctx.principal(),
            current_password=current_password,
            new_password=new_password,
            meta=ctx.meta,
        )
        return True

    @strawberry.mutation(extensions=requires("identity.roles.manage"))
    async def assign_role(self, info: Info, user_id: strawberry.ID, role: str) -> User:
        ctx = info.context
        row = await roles.assign_role(
            ctx.unit_of_work(),
            actor=await ctx.principal(),
            user_id=user_id,
            role=role,
            meta=ctx.meta,
        )
        return User.from_row(row)

    @strawberry.mutation(extensions=requires("identity.roles.manage"))
    async def revoke_role(self, info: Info, user_id: strawberry.ID, role: str) -> User:
        ctx = info.context
        row = await roles.revoke_role(
            ctx.unit_of_work(),
            actor=await ctx.principal(),
            user_id=user_id,
            role=role,
            meta=ctx.meta,
        )
        return User.from_row(row)

    @strawberry.mutation(
        extensions=requires("identity.accounts.manage"),
        description="Disable an account: login refused, its sessions end at once (ID-17).",
    )
    async def disable_account(
        self, info: Info, user_id: strawberry.ID, reason: str | None = None
    ) -> User:
        ctx = info.context
        row = await accounts.disable(
            ctx.services,
            ctx.unit_of_work(),
            actor=await ctx.principal(),
            user_id=user_id,
            reason=reason,
            meta=ctx.meta,
        )
        return User.from_row(row)

    @strawberry.mutation(extensions=requires("identity.accounts.manage"))
    async def enable_account(self, info: Info, user_id: strawberry.ID) -> User:
        ctx = info.context
        row = await accounts.enable(
            ctx.unit_of_work(), actor=await ctx.principal(), user_id=user_id, meta=ctx.meta
        )
        return User.from_row(row)

    @strawberry.mutation(
        extensions=requires("identity.accounts.manage"),
        description="End every session of an account (risk detected); returns how many ended.",
    )
    async def end_account_sessions(self, info: Info, user_id: strawberry.ID) -> int:
        ctx = info.context
        return await accounts.end_sessions(
            ctx.services,
            ctx.unit_of_work(),
            actor=await ctx.principal(),
            user_id=user_id,
            meta=ctx.meta,
        )
