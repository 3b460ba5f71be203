"""`tessera serve`'s HTTP server (uvicorn) and what it tells the person who started it."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp

from core.settings import Settings


class _Server(uvicorn.Server):
    """uvicorn's server, calling `on_ready` once it listens (not before: the URL must work)."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list | None = None) -> None:  # type: ignore[type-arg]
        await super().startup(sockets)
        if self.started and not self.should_exit:
            self._on_ready()


def run(app: ASGIApp, host: str, port: int, on_ready: Callable[[], None]) -> None:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        ws="websockets-sansio",
        # Longer than a load balancer's idle timeout (60 s is common), so the proxy, not
        # us, closes idle keep-alive connections: no request races a closing socket.
        timeout_keep_alive=75,
    )
    _Server(config, on_ready).run()


def welcome(settings: Settings, host: str, port: int, *, demo_accounts: bool) -> str:
    """Where to click, and (embedded demo only) how to log in."""
    base = f"http://{host}:{port}"
    lines = ["", f"Tessera is ready on {base}"]
    if settings.introspection:
        lines.append(f"  GraphiQL (open in a browser)  {base}/graphql")
    lines += [
        f"  GraphQL over HTTP and ws      {base}/graphql",
        f"  health                        {base}/readyz",
    ]
    if demo_accounts:
        from server.demo import DEMO_USERS

        lines += [
            f"  admin                         {settings.admin_email} / {settings.admin_password}",
            f"  demo users (password {settings.demo_password}):",
            *(f"    {email:<28}{role}" for email, _, role in DEMO_USERS),
        ]
    lines += ["Stop with Ctrl-C.", ""]
    return "\n".join(lines)
