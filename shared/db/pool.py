"""One async connection pool per process.

Opened by the process's lifespan (Litestar's, or the worker's entry point), never at
import. Connections are in autocommit mode, so a transaction is always explicit:

- `async with transaction(pool) as conn:` is one transaction that commits on success and
  rolls back on an exception (BEGIN ... COMMIT);
- `async with pool.connection() as conn:` runs each statement on its own. Use it for a
  single statement (atomic by itself, and two round trips cheaper) and for reads that
  need no common snapshot. procrastinate's own queries (fetch a job, finish it, beat
  the heartbeat) are single statements too, and run this way on the same pool.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from weakref import WeakKeyDictionary

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from shared.errors import ConfigurationError
from shared.settings import Settings

DbConnection = AsyncConnection[TupleRow]

# A connection handed out this recently is not pinged again before the next borrow.
CHECK_IF_IDLE_FOR_S = 2.0


class IdleConnectionCheck:
    """The pool's `check`: ping a connection only when it sat idle for a while.

    psycopg_pool's stock `check_connection` costs one round trip per borrow, 10-15 % of a
    busy worker's CPU. A connection in steady use needs no ping: one that broke during use
    comes back in a bad state and the pool discards it. The ping is for the ones that
    sat idle while the server restarted or a proxy dropped them.
    """

    def __init__(self, idle_after_s: float = CHECK_IF_IDLE_FOR_S) -> None:
        self._idle_after_s = idle_after_s
        self._last_handed_out: WeakKeyDictionary[AsyncConnection[TupleRow], float] = (
            WeakKeyDictionary()
        )

    async def __call__(self, conn: AsyncConnection[TupleRow]) -> None:
        now = time.monotonic()
        last = self._last_handed_out.get(conn)
        if last is None or now - last >= self._idle_after_s:
            await AsyncConnectionPool.check_connection(conn)
        self._last_handed_out[conn] = now


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
        check=IdleConnectionCheck(),
        # Autocommit through `configure`, not `kwargs`: procrastinate opens its LISTEN
        # connection with the pool's kwargs plus autocommit=True of its own.
        configure=_set_autocommit,
        kwargs={"application_name": f"tradebridge-{name}"},
    )


async def _set_autocommit(conn: DbConnection) -> None:
    await conn.set_autocommit(True)


@asynccontextmanager
async def transaction(pool: AsyncConnectionPool) -> AsyncIterator[DbConnection]:
    """A pooled connection inside one transaction: commit on success, rollback on error."""
    async with pool.connection() as conn, conn.transaction():
        yield conn
