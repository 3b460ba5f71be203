"""Long-running loops stop when asked, even if a library turned the cancellation into an error.

A worker loop retries on any Exception. If the CancelledError that asks it to stop surfaces as
another exception instead (a client library that wraps it while closing a connection), the
loop would retry forever, and `asyncio.run` would wait for it at exit: the process never ends.
Task.cancelling() still counts the request, so the loop can tell.
"""

from __future__ import annotations

import asyncio


def stop_if_cancelled() -> None:
    """Raise CancelledError when the current task has been asked to stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
