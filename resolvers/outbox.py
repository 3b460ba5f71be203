"""Domain events go to the outbox in the same transaction as the change (no dual writes)."""

from __future__ import annotations

from typing import Any

from persistence.repositories import outbox
from persistence.unit_of_work import Session


def emit(session: Session, topic: str, payload: dict[str, Any]) -> None:
    outbox.add(session, topic, payload)
