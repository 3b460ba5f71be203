"""JWT signing keys (ID-7): private keys sealed with the key-encryption key, public JWKs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from persistence.models.identity import SigningKey

# Serialises start-up across processes: the first one to start creates the first key.
_START_LOCK = text("SELECT pg_advisory_xact_lock(7263542)")


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    private_key_sealed: bytes
    public_jwk: dict[str, Any]


async def lock_for_start(session: AsyncSession) -> None:
    """Held until the caller's transaction ends."""
    await session.execute(_START_LOCK)


async def plaintext_keys(session: AsyncSession) -> list[tuple[str, str]]:
    """(kid, PEM) of keys stored unsealed (made before issue 9)."""
    rows = await session.execute(
        select(SigningKey.kid, SigningKey.private_pem).where(SigningKey.private_pem.is_not(None))
    )
    return [(kid, pem) for kid, pem in rows]


async def store_sealed(session: AsyncSession, kid: str, sealed: bytes) -> None:
    """Replace a plaintext private key by its sealed form."""
    await session.execute(
        update(SigningKey)
        .where(SigningKey.kid == kid)
        .values(private_key_sealed=sealed, private_pem=None)
    )


async def has_active_key(session: AsyncSession) -> bool:
    kid = await session.scalar(
        select(SigningKey.kid).where(SigningKey.retired_at.is_(None)).limit(1)
    )
    return kid is not None


def add_key(
    session: AsyncSession, *, kid: str, algorithm: str, sealed: bytes, public_jwk: dict[str, Any]
) -> None:
    session.add(
        SigningKey(kid=kid, algorithm=algorithm, private_key_sealed=sealed, public_jwk=public_jwk)
    )


async def active_keys(conn: AsyncConnection) -> list[ActiveKey]:
    """Keys not retired, newest first (the first one signs)."""
    rows = await conn.execute(
        select(SigningKey.kid, SigningKey.private_key_sealed, SigningKey.public_jwk)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc())
    )
    return [ActiveKey(row.kid, row.private_key_sealed, dict(row.public_jwk)) for row in rows]
