"""Server-level helpers for tests and benchmarks: create and drop whole databases."""

from __future__ import annotations

import asyncpg
from sqlalchemy import make_url


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> dict[str, object]:
    """Connection arguments for asyncpg from a SQLAlchemy-style URL (unix sockets too)."""
    parsed = make_url(url)
    params: dict[str, object] = {
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
        "host": parsed.query.get("host") or parsed.host,
        "port": parsed.port,
    }
    return {k: v for k, v in params.items() if v is not None}


async def admin_execute(url: str, *statements: str) -> None:
    """Run statements outside a transaction (CREATE/DROP DATABASE) on the server's `postgres` db."""
    connection = await asyncpg.connect(**asyncpg_dsn(with_database(url, "postgres")))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()
