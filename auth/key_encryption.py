"""The key-encryption key (KEK): seals secrets kept in PostgreSQL, such as the JWT signing
keys, with AES-256-GCM (OPS-3). A database dump alone then yields no usable private key.

The KEK comes from TESSERA_KEY_ENCRYPTION_KEY (32 bytes, base64 or hex) or from the file
TESSERA_KEY_ENCRYPTION_KEY_FILE names; production refuses to start without one. Development
and tests generate one under the data directory on first use and keep it there.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.key_text import KeyEncryptionError, new_key_text, parse_key

_FORMAT = b"\x01"  # version byte: format of what follows (nonce, ciphertext + tag)
_NONCE_BYTES = 12
GENERATED_FILE_NAME = "key-encryption-key"


class KeyEncryptionKey:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, *, context: str) -> bytes:
        """`context` (e.g. the key id) is authenticated: a sealed value moved to another row
        does not open."""
        nonce = os.urandom(_NONCE_BYTES)
        return _FORMAT + nonce + self._aead.encrypt(nonce, plaintext, _FORMAT + context.encode())

    def open(self, sealed: bytes, *, context: str) -> bytes:
        if sealed[:1] != _FORMAT:
            raise KeyEncryptionError("sealed value of an unknown format")
        nonce, ciphertext = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, ciphertext, _FORMAT + context.encode())
        except InvalidTag as exc:
            raise KeyEncryptionError(
                "cannot open a sealed key: not the key-encryption key that sealed it"
            ) from exc


def _generated(path: Path) -> str:
    """The development KEK under the data directory, created once (atomically: processes
    starting together agree on one)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        draft.write_text(new_key_text())
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # fails if another process won the race: use theirs
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text()


def load_key_encryption_key(
    value: str | None, file: Path | None, *, data_dir: Path, generate: bool
) -> KeyEncryptionKey:
    if value:
        return KeyEncryptionKey(parse_key(value))
    if file is not None:
        try:
            return KeyEncryptionKey(parse_key(file.read_text()))
        except OSError as exc:
            raise KeyEncryptionError(f"cannot read the key-encryption key file: {exc}") from exc
    if not generate:
        raise KeyEncryptionError(
            "TESSERA_KEY_ENCRYPTION_KEY or TESSERA_KEY_ENCRYPTION_KEY_FILE must be set"
        )
    return KeyEncryptionKey(parse_key(_generated(data_dir / GENERATED_FILE_NAME)))
