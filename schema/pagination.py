"""Relay-style connections with opaque keyset cursors."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

import strawberry

from core.errors import ValidationFailed

T = TypeVar("T")
MAX_PAGE_SIZE = 100


@strawberry.federation.type(shareable=True)  # every subgraph pages (federation)
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int | None = None


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode()


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError as exc:
        raise ValidationFailed("not a cursor from this API", field="after") from exc
    if not isinstance(values, list):
        raise ValidationFailed("not a cursor from this API", field="after")
    return values


def cursor_key(after: str | None, kind: type) -> Any:
    """The keyset value of a cursor made by `encode_cursor(value)`; None without a cursor."""
    cursor = decode_cursor(after)
    if cursor is None:
        return None
    if not cursor or not isinstance(cursor[0], kind) or isinstance(cursor[0], bool):
        raise ValidationFailed("not a cursor from this API", field="after")
    return cursor[0]


def check_page_size(first: int) -> int:
    if first < 1 or first > MAX_PAGE_SIZE:
        raise ValidationFailed(f"first must be between 1 and {MAX_PAGE_SIZE}", field="first")
    return first


def connection(rows: list[Any], limit: int, cursor_of: Any, node_of: Any) -> Connection[Any]:
    """A page from `limit + 1` fetched rows: the extra row only tells that there is a next page."""
    edges = [Edge(cursor=cursor_of(row), node=node_of(row)) for row in rows[:limit]]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None
        ),
    )
