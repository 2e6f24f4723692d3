"""One async connection pool per process.

Opened by the process's lifespan (Litestar's, or the worker's entry point), never at
import. Connections are not autocommit: `async with pool.connection() as conn:` is one
transaction that commits on success and rolls back on an exception.
"""

from __future__ import annotations

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from shared.errors import ConfigurationError
from shared.settings import Settings

DbConnection = AsyncConnection[TupleRow]


def create_pool(
    settings: Settings, *, name: str, max_size: int | None = None
) -> AsyncConnectionPool:
    if settings.database_url is None:
        raise ConfigurationError(
            "DATABASE_URL is not set (dev mode starts an embedded Postgres and sets it)"
        )
    return AsyncConnectionPool(
        settings.database_url,
        min_size=min(settings.db_pool_min_size, max_size or settings.db_pool_max_size),
        max_size=max_size or settings.db_pool_max_size,
        open=False,
        name=name,
        check=AsyncConnectionPool.check_connection,
        kwargs={"application_name": f"tradebridge-{name}"},
    )
