"""Account helpers shared by tests: sign up, log in, promote."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import insert

from persistence.models.identity import User, UserRole
from resolvers.services import Services
from tests.client import GraphQLClient

PASSWORD = "Correct-Horse-42!"

SIGN_UP = """
mutation SignUp($input: SignUpInput!) { signUp(input: $input) { user { id email displayName } } }
"""
LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken expiresIn mfaRequired session { id deviceId idleExpiresAt } }
}
"""
ME = "query Me { me { id email roles { name } permissions session { id deviceId idleExpiresAt } } }"


@dataclass
class LoggedIn:
    user_id: str
    email: str
    access_token: str
    refresh_token: str
    session_id: str


async def sign_up(client: GraphQLClient, email: str, password: str = PASSWORD) -> str:
    data = await client.data(
        SIGN_UP,
        {"input": {"email": email, "password": password, "displayName": email.split("@")[0]}},
    )
    return data["signUp"]["user"]["id"]


async def login(
    client: GraphQLClient, email: str, password: str = PASSWORD, device: str = "phone"
) -> LoggedIn:
    data = await client.data(
        LOGIN,
        {"input": {"email": email, "password": password, "deviceId": device, "deviceName": device}},
    )
    result = data["login"]
    me = await client.data(ME, token=result["accessToken"])
    return LoggedIn(
        me["me"]["id"],
        email,
        result["accessToken"],
        result["refreshToken"],
        result["session"]["id"],
    )


async def new_user(client: GraphQLClient, email: str, *, device: str = "phone") -> LoggedIn:
    await sign_up(client, email)
    return await login(client, email, device=device)


async def grant_role(services: Services, user_id: str, role: str) -> None:
    """Bootstrap an operator directly in the database (as `tessera create-user` would)."""
    from sqlalchemy.dialects.postgresql import insert

    from persistence.models.identity import UserRole

    async with services.db.transaction() as unit:
        await unit.session.execute(
            insert(UserRole).values(user_id=user_id, role_name=role).on_conflict_do_nothing()
        )


async def customers(services: Services, count: int) -> list[uuid.UUID]:
    """`count` fresh customers, made directly (signing up hundreds of accounts through argon2
    would only add minutes)."""
    ids = [uuid.uuid4() for _ in range(count)]
    async with services.db.transaction() as unit:
        await unit.session.execute(
            insert(User),
            [{"id": i, "email": f"c-{i.hex[:12]}@example.com", "display_name": "c"} for i in ids],
        )
        await unit.session.execute(
            insert(UserRole), [{"user_id": i, "role_name": "customer"} for i in ids]
        )
    return ids


async def bulk_customers(services: Services, count: int) -> list[str]:
    """Access tokens of `count` fresh customers with live sessions."""
    tokens = []
    for user_id in await customers(services, count):
        started = await services.sessions.start(str(user_id), "bulk", "bulk")
        tokens.append(services.tokens.issue_access(str(user_id), started.session.id)[0])
    return tokens
