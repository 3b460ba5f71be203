"""The identity subgraph's subscription: the caller's own session events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from core.errors import ValidationFailed
from schema.context import Info
from schema.identity.types import SessionEvent, SessionEventKind
from schema.permissions import requires


@strawberry.type
class IdentitySubscription:
    @strawberry.subscription(
        extensions=requires(),
        description="Events of the caller's own session; the server closes the socket after one.",
    )
    async def session_events(self, info: Info) -> AsyncGenerator[SessionEvent, None]:
        socket = info.context.socket
        if socket is None:
            raise ValidationFailed("sessionEvents needs a WebSocket", reason="WEBSOCKET_REQUIRED")
        async with socket.listen() as events:
            event = await events.get()
            yield SessionEvent(
                kind=SessionEventKind(event["kind"]),
                reason=event.get("reason"),
                at=datetime.fromisoformat(event["at"]),
            )
            socket.delivered(event)
