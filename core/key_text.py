"""Key material as text: what TESSERA_KEY_ENCRYPTION_KEY may hold (32 bytes, base64 or hex).

At the bottom so that settings can check the value when they are read, before anything
starts; auth/key_encryption.py does the sealing.
"""

from __future__ import annotations

import base64
import binascii
import secrets

_KEY_BYTES = 32
_URL_SAFE = str.maketrans("-_", "+/")


class KeyEncryptionError(RuntimeError):
    """A KEK that is missing, malformed, or not the one that sealed the data."""


def parse_key(text: str) -> bytes:
    """32 bytes from base64 (standard or URL-safe) or 64 hex digits."""
    text = text.strip()
    try:
        if len(text) == 2 * _KEY_BYTES:
            raw = bytes.fromhex(text)
        else:
            standard = text.translate(_URL_SAFE) + "=" * (-len(text) % 4)
            raw = base64.b64decode(standard, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise KeyEncryptionError("the key-encryption key is neither base64 nor hex") from exc
    if len(raw) != _KEY_BYTES:
        raise KeyEncryptionError(
            f"the key-encryption key must be {_KEY_BYTES} bytes (AES-256), got {len(raw)}"
        )
    return raw


def new_key_text() -> str:
    return base64.b64encode(secrets.token_bytes(_KEY_BYTES)).decode()
