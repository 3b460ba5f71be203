"""Access tokens: ES256 JWTs with a `kid` header, keys published as JWKS (ID-2, ID-7).

Private keys live in PostgreSQL so every API process signs with the same key, sealed with
the key-encryption key (auth/key_encryption.py; a dump alone signs nothing); verification
needs only the public keys, cached in-process and reloaded when an unknown `kid` appears (a
rotation done by another process).
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from auth.key_encryption import KeyEncryptionKey
from core.errors import Unauthenticated
from persistence.database import Database
from persistence.repositories.identity import signing_keys
from persistence.unit_of_work import UnitOfWork

ALGORITHM = "ES256"
_RELOAD_INTERVAL_SECONDS = 5.0


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    session_id: str
    expires_at: int


def _add_new_key(uow: UnitOfWork, kek: KeyEncryptionKey) -> str:
    """A fresh P-256 key in `uow`, its private half sealed with the KEK; returns its kid."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    kid = uuid.uuid4().hex[:16]
    jwk = json.loads(ECAlgorithm.to_jwk(private_key.public_key()))
    jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signing_keys.add_key(
        uow.session,
        kid=kid,
        algorithm=ALGORITHM,
        sealed=kek.seal(pem, context=kid),
        public_jwk=jwk,
    )
    return kid


class TokenService:
    def __init__(
        self, db: Database, *, issuer: str, access_seconds: int, kek: KeyEncryptionKey
    ) -> None:
        self._db = db
        self._kek = kek
        self.issuer = issuer
        self.access_seconds = access_seconds
        self._signing: tuple[str, Any] | None = None
        self._public: dict[str, Any] = {}
        self._jwks: list[dict[str, Any]] = []
        self._loaded_at = 0.0

    async def start(self) -> None:
        """Seal keys stored in plaintext before issue 9, make sure one active key exists
        (first process creates it) and load keys."""
        async with self._db.transaction() as uow:
            await signing_keys.lock_for_start(uow.session)
            for kid, pem in await signing_keys.plaintext_keys(uow.session):
                sealed = self._kek.seal(pem.encode(), context=kid)
                await signing_keys.store_sealed(uow.session, kid, sealed)
            if not await signing_keys.has_active_key(uow.session):
                _add_new_key(uow, self._kek)
        await self._load()

    async def rotate(self) -> str:
        """Add a new signing key; older keys stay published so no one is logged out."""
        async with self._db.transaction() as uow:
            kid = _add_new_key(uow, self._kek)
        await self._load()
        return kid

    async def _load(self) -> None:
        async with self._db.read() as connection:
            keys = await signing_keys.active_keys(connection)
        if not keys:
            raise RuntimeError("no active signing key")
        newest = keys[0]
        self._signing = (
            newest.kid,
            serialization.load_pem_private_key(
                self._kek.open(newest.private_key_sealed, context=newest.kid), None
            ),
        )
        self._public = {key.kid: ECAlgorithm.from_jwk(json.dumps(key.public_jwk)) for key in keys}
        self._jwks = [key.public_jwk for key in keys]
        self._loaded_at = time.monotonic()

    def jwks(self) -> dict[str, Any]:
        return {"keys": self._jwks}

    def issue_access(self, user_id: str, session_id: str) -> tuple[str, int]:
        assert self._signing is not None, "TokenService.start() not awaited"
        kid, key = self._signing
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": user_id,
            "sid": session_id,
            "iat": now,
            "exp": now + self.access_seconds,
            "jti": secrets.token_urlsafe(12),
            "typ": "access",
        }
        return jwt.encode(
            claims, key, algorithm=ALGORITHM, headers={"kid": kid}
        ), self.access_seconds

    async def verify_access(self, token: str) -> AccessClaims:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise Unauthenticated("malformed token", reason="INVALID_TOKEN") from exc
        if (
            kid not in self._public
            and time.monotonic() - self._loaded_at > _RELOAD_INTERVAL_SECONDS
        ):
            await self._load()
        key = self._public.get(kid)
        if key is None:
            raise Unauthenticated("unknown signing key", reason="INVALID_TOKEN")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "sid", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("access token expired", reason="TOKEN_EXPIRED") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid token", reason="INVALID_TOKEN") from exc
        if claims.get("typ") != "access":
            raise Unauthenticated("not an access token", reason="INVALID_TOKEN")
        return AccessClaims(
            user_id=claims["sub"], session_id=claims["sid"], expires_at=claims["exp"]
        )
