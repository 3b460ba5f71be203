"""Object-level rules every domain shares (ID-12)."""

from __future__ import annotations

import uuid

from core.errors import Forbidden


def refuse_self_dealing(actor: uuid.UUID, target: uuid.UUID, what: str) -> None:
    """No one grants themselves points, roles or account changes: another operator must."""
    if actor == target:
        raise Forbidden(f"{what} cannot target your own account", reason="SELF_DEALING")
