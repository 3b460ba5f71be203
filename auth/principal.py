"""Who is calling: a verified access token whose session is still live."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from auth.sessions import Session, SessionStore
from auth.tokens import TokenService
from core.errors import Unauthenticated


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    session: Session


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("expected 'Bearer <token>'", reason="INVALID_TOKEN")
    return token.strip()


async def authenticate(tokens: TokenService, sessions: SessionStore, token: str) -> Principal:
    """Verify the JWT locally (public keys), then check and slide the session in Redis."""
    claims = await tokens.verify_access(token)
    session = await sessions.touch(claims.session_id)
    if session.user_id != claims.user_id:
        raise Unauthenticated("token does not match its session", reason="INVALID_TOKEN")
    return Principal(uuid.UUID(claims.user_id), session)
