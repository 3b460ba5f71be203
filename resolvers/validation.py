"""Input checks shared by every domain; failures name the offending field."""

from __future__ import annotations

import uuid

from core.errors import NotFound, ValidationFailed


def required_text(value: str, field: str, max_length: int) -> str:
    """The value stripped; VALIDATION when empty or longer than `max_length`."""
    value = value.strip()
    if not value:
        raise ValidationFailed(f"{field} must not be empty", field=field)
    if len(value) > max_length:
        raise ValidationFailed(f"{field} is longer than {max_length} characters", field=field)
    return value


def parse_id(raw: str, field: str) -> uuid.UUID:
    """An opaque id from the client; one that cannot exist is NOT_FOUND, naming the field."""
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(f"no such {field}", field=field) from exc
