"""OPS-3: JWT signing keys are stored sealed with the key-encryption key, never as plaintext."""

from __future__ import annotations

import json
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy import insert, select

from auth.key_encryption import KeyEncryptionKey
from auth.tokens import ALGORITHM, TokenService
from core.key_text import KeyEncryptionError, new_key_text, parse_key
from core.settings import Settings
from persistence.database import Database
from persistence.models.identity import SigningKey
from tests.accounts import new_user
from tests.conftest import ApiFactory


def _kek() -> KeyEncryptionKey:
    return KeyEncryptionKey(parse_key(new_key_text()))


def _tokens(settings: Settings, db: Database, kek: KeyEncryptionKey) -> TokenService:
    return TokenService(db, issuer=settings.issuer, access_seconds=60, kek=kek)


async def _rows(db: Database) -> list:
    async with db.read() as connection:
        result = await connection.execute(
            select(SigningKey.kid, SigningKey.private_pem, SigningKey.private_key_sealed)
        )
        return list(result)


async def test_the_database_holds_no_private_key_in_plaintext(
    api_factory: ApiFactory, unique_email
) -> None:
    key_text = new_key_text()
    async with api_factory(key_encryption_key=key_text) as api:
        session = await new_user(api.client, unique_email())
        await api.services.tokens.rotate()
        rows = await _rows(api.services.db)
    assert len(rows) == 2
    for kid, pem, sealed in rows:
        assert pem is None
        assert b"PRIVATE KEY" not in sealed
        opened = KeyEncryptionKey(parse_key(key_text)).open(sealed, context=kid)
        assert opened.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert jwt.get_unverified_header(session.access_token)["kid"] in {row.kid for row in rows}


async def test_plaintext_keys_of_older_versions_are_sealed_at_start(settings: Settings) -> None:
    """A key stored as plaintext PEM (before issue 9) is sealed and emptied, and still signs."""
    db = Database(settings.database_url or "", pool_size=1, max_overflow=2)
    private_key = ec.generate_private_key(ec.SECP256R1())
    kid = uuid.uuid4().hex[:16]
    jwk = json.loads(ECAlgorithm.to_jwk(private_key.public_key())) | {"kid": kid, "alg": ALGORITHM}
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    try:
        async with db.transaction() as unit:
            await unit.session.execute(
                insert(SigningKey).values(
                    kid=kid, algorithm=ALGORITHM, private_pem=pem, public_jwk=jwk
                )
            )
        kek = _kek()
        tokens = _tokens(settings, db, kek)
        await tokens.start()
        [(stored_kid, stored_pem, sealed)] = await _rows(db)
        assert (stored_kid, stored_pem) == (kid, None)
        assert kek.open(sealed, context=kid).decode() == pem
        token, _ = tokens.issue_access(str(uuid.uuid4()), "s1")
        assert jwt.get_unverified_header(token)["kid"] == kid
        assert (await tokens.verify_access(token)).session_id == "s1"
        # Another key-encryption key cannot open them: start-up fails, it does not sign.
        with pytest.raises(KeyEncryptionError):
            await _tokens(settings, db, _kek()).start()
    finally:
        await db.dispose()
