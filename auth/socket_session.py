"""One authenticated WebSocket: watches its session and closes the socket when it ends.

The watcher subscribes to the session's topic *before* checking that the
session is live, so no ending can slip between the check and the
subscription. An ending (replaced, logged out, token reused, idle expiry) is
handed to the socket's `sessionEvents` subscriptions; once they have sent it,
or after a short grace period, the socket is closed with code 4401.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import Any, Protocol

from starlette.websockets import WebSocket

from auth.principal import Principal
from auth.sessions import SessionStore
from subscriptions.broker import Broker
from subscriptions.topics import session_topic

_log = logging.getLogger(__name__)
CLOSE_SESSION_ENDED = 4401
_DELIVERY_GRACE_SECONDS = 2.0
_EXPIRY_MARGIN_SECONDS = 0.05


class Checkpoints(Protocol):
    """Where tests may wait (workflows/faults.py's fault points; nothing outside tests)."""

    async def hit(self, point: str) -> None: ...


class SocketSession:
    def __init__(
        self,
        broker: Broker,
        sessions: SessionStore,
        websocket: WebSocket,
        principal: Principal,
        checkpoints: Checkpoints,
    ) -> None:
        self._broker = broker
        self._sessions = sessions
        self._checkpoints = checkpoints
        self._websocket = websocket
        self.principal = principal
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self._delivered = asyncio.Event()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(
            self._watch(), name=f"socket-session-{self.principal.session.id}"
        )
        await self._ready.wait()  # subscribed: nothing published from now on is missed

    async def stop(self) -> None:
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    @asynccontextmanager
    async def listen(self) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._listeners.add(queue)
        try:
            # tests wait for this point instead of guessing when the subscription listens
            await self._checkpoints.hit(f"SESSION_EVENTS:listening:{self.principal.session.id}")
            yield queue
        finally:
            self._listeners.discard(queue)

    def delivered(self, event: dict[str, Any]) -> None:
        """A sessionEvents subscription has sent the ending event to the client."""
        self._delivered.set()

    async def _watch(self) -> None:
        session_id = self.principal.session.id
        try:
            async with self._broker.subscribe(session_topic(session_id)) as events:
                self._ready.set()
                event = await self._next_ending(session_id, events)
        except Exception:  # noqa: BLE001 - a broken watcher must not leave a socket open unchecked
            _log.exception("session watcher failed; closing socket")
            event = {"kind": "SESSION_EXPIRED", "reason": "WATCHER_FAILED", "at": _now()}
        finally:
            self._ready.set()
        await self._deliver_and_close(event)

    async def _next_ending(
        self, session_id: str, events: asyncio.Queue[dict[str, Any]]
    ) -> dict[str, Any]:
        while True:
            status = await self._sessions.status(session_id)
            if not status.live:
                return {"kind": status.cause, "reason": None, "at": _now()}
            try:
                return await asyncio.wait_for(
                    events.get(), status.remaining_ms / 1000 + _EXPIRY_MARGIN_SECONDS
                )
            except TimeoutError:
                continue  # idle deadline reached: re-check, activity may have extended it

    async def _deliver_and_close(self, event: dict[str, Any]) -> None:
        listeners = list(self._listeners)
        for queue in listeners:
            queue.put_nowait(event)
        if listeners:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._delivered.wait(), _DELIVERY_GRACE_SECONDS)
            await asyncio.sleep(0)  # let the subscription's "complete" message go out first
        with suppress(RuntimeError, OSError):
            await self._websocket.close(code=CLOSE_SESSION_ENDED, reason=str(event.get("kind")))


def _now() -> str:
    return datetime.now(UTC).isoformat()
