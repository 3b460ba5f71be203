"""What the layers above may know of store failures, without importing the drivers."""

from __future__ import annotations

import redis.exceptions
import sqlalchemy.exc

# Not a bug but a store out of reach or out of connections for now: retrying is right, and
# with idempotency keys it is safe.
STORE_OVERLOADED: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
# The database out of reach (down, restarting, out of connections): a worker retries for as
# long as it takes and never blames the entry it was processing.
UNREACHABLE: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
)
# Any failure of the database layer (for callers that must go on without it, like auditing a
# refusal the caller must still receive).
DATABASE_ERRORS: tuple[type[BaseException], ...] = (sqlalchemy.exc.SQLAlchemyError,)


def data_exception(error: BaseException | None) -> str | None:
    """PostgreSQL's class 22 ("data exception": too long, out of range, bad encoding) means
    a value the client sent that a column cannot hold: the client's error, not ours. Returns
    the SQLSTATE, or None for any other error."""
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None) or ""
        return sqlstate if sqlstate.startswith("22") else None
    return None


def loggable(error: BaseException) -> str:
    """What logs keep of an error: its type, and its text unless that may hold SQL data."""
    if isinstance(error, sqlalchemy.exc.StatementError):
        return f"{type(error).__name__} ({type(error.orig).__name__})"
    return f"{type(error).__name__}: {error}"[:300]
