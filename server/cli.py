"""`tessera` command line: serve, worker, migrate, seed-demo, sdl, create-user, rotate-signing-key."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from auth.rbac import sync_builtin_roles
from core.errors import DomainError
from core.settings import ConfigurationError, Settings, load_settings
from persistence.migrate import SchemaBehind, check_schema, upgrade_sync
from resolvers.services import Services
from server.observability import configure_logging, configure_tracing
from server.runtime import raise_open_files_limit, resolve_dependencies, running_services

T = TypeVar("T")


@contextmanager
def _stores(settings: Settings) -> Iterator[Settings]:
    resolved, local = resolve_dependencies(settings)
    try:
        yield resolved
    finally:
        local.close()


def migrate(settings: Settings) -> None:
    assert settings.database_url
    upgrade_sync(settings.database_url)
    asyncio.run(_with_services(settings, _sync_roles))


def _ensure_schema(configured: Settings, resolved: Settings, *, demo: bool = False) -> None:
    """The embedded database is ours: bring it to head (a first start creates it). An external
    one is the operator's: refuse to run on an old schema (SchemaBehind, exit code 2)."""
    assert resolved.database_url
    if configured.database_url is None or demo:
        migrate(resolved)
    else:
        asyncio.run(check_schema(resolved.database_url))


async def _sync_roles(services: Services) -> None:
    async with services.db.transaction() as uow:
        await sync_builtin_roles(uow.session)


async def _with_services(settings: Settings, body: Callable[[Services], Awaitable[T]]) -> T:
    async with running_services(settings) as services:
        return await body(services)


def _seed(settings: Settings, catalog_size: int) -> None:
    from server.demo import seed_demo

    created = asyncio.run(
        _with_services(settings, lambda services: seed_demo(services, catalog_size))
    )
    print(
        f"demo data: created {len(created)} account(s)"
        + (f": {', '.join(created)}" if created else "")
    )


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    from server import serve
    from server.app import create_app

    if args.demo:
        from server.demo import refuse_in_production

        refuse_in_production(settings)
    with _stores(settings) as resolved:
        _ensure_schema(settings, resolved, demo=args.demo)
        if args.demo:
            _seed(resolved, args.catalog_size)
        text = serve.welcome(
            resolved, args.host, args.port, demo_accounts=args.demo and settings.embedded
        )
        serve.run(
            create_app(resolved, subgraph=args.subgraph),
            args.host,
            args.port,
            on_ready=lambda: print(text, flush=True),
        )


def _worker(settings: Settings) -> None:
    from server.workers import run_workers

    async def checked_workers(services: Services) -> None:
        if settings.is_production:
            from server.demo import refuse_demo_passwords

            await refuse_demo_passwords(services)
        await run_workers(services)

    with _stores(settings) as resolved:
        _ensure_schema(settings, resolved)
        try:
            asyncio.run(_with_services(resolved, checked_workers))
        except KeyboardInterrupt:
            pass


def _sdl(args: argparse.Namespace, settings: Settings) -> None:
    from schema import build_schema

    print(build_schema(settings, args.subgraph).as_str())


def _create_user(args: argparse.Namespace, settings: Settings) -> None:
    from resolvers.identity.signup import create_user

    password = (
        getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    )

    async def body(services: Services) -> str:
        async with services.db.transaction() as uow:
            user = await create_user(
                services,
                uow,
                email=args.email,
                password=password,
                display_name=args.display_name or args.email.split("@")[0],
                role=args.role,
            )
        return str(user.id)

    with _stores(settings) as resolved:
        print(asyncio.run(_with_services(resolved, body)))


def _rotate(settings: Settings) -> None:
    with _stores(settings) as resolved:
        kid = asyncio.run(_with_services(resolved, lambda services: services.tokens.rotate()))
    print(f"new signing key {kid}; older keys stay in JWKS until retired")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tessera", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the GraphQL API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--subgraph", help="serve one domain subgraph only")
    serve.add_argument("--demo", action="store_true", help="migrate and load demo data first")
    serve.add_argument("--catalog-size", type=int, default=500, help="products made by --demo")
    commands.add_parser("worker", help="run asynchronous workflows only")
    commands.add_parser("migrate", help="apply database migrations and sync built-in roles")
    seed = commands.add_parser("seed-demo", help="load demo accounts and a generated catalog")
    seed.add_argument("--catalog-size", type=int, default=500, help="products (0: none)")
    sdl = commands.add_parser("sdl", help="print the supergraph (or one subgraph) SDL")
    sdl.add_argument("--subgraph")
    create = commands.add_parser("create-user", help="create an account (password on stdin)")
    create.add_argument("email")
    create.add_argument("--role", required=True)
    create.add_argument("--display-name")
    commands.add_parser("rotate-signing-key", help="add a new JWT signing key")
    return parser


def _exit_on_sigterm(signum: int, _: object) -> None:
    """SIGTERM (systemd, Docker, kill) ends the process as Ctrl-C does: through every `finally`,
    so local servers stop. uvicorn restores this handler after its graceful shutdown and raises
    the signal again; the default action would end the process before any cleanup."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format, settings.environment)
    configure_tracing(settings.otel_exporter)
    raise_open_files_limit()
    try:
        match args.command:
            case "serve":
                _serve(args, settings)
            case "worker":
                _worker(settings)
            case "migrate":
                with _stores(settings) as resolved:
                    migrate(resolved)
                print("database schema is up to date")  # Alembic's step lines are silenced
            case "seed-demo":
                from server.demo import refuse_in_production

                refuse_in_production(settings)
                with _stores(settings) as resolved:
                    _seed(resolved, args.catalog_size)
            case "sdl":
                _sdl(args, settings)
            case "create-user":
                _create_user(args, settings)
            case "rotate-signing-key":
                _rotate(settings)
    except DomainError as exc:
        print(f"{exc.code}: {exc.detail or ''}", file=sys.stderr)
        return 1
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except SchemaBehind as exc:
        print(f"tessera: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: every `finally` ran; no traceback for a person
        return 128 + signal.SIGINT
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
