"""The product's pool: autocommit connections, explicit transactions, idle-only pings."""

from __future__ import annotations

import pytest
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from shared.db import pool as pool_module
from shared.db.pool import IdleConnectionCheck, create_pool, transaction
from shared.settings import load_settings


def _pool(db_url: str) -> AsyncConnectionPool:
    settings = load_settings({"DATABASE_URL": db_url, "TRADEBRIDGE_ENV": "test"})
    return create_pool(settings, name="test-pool", max_size=1)


async def _insert_then_fail(pool: AsyncConnectionPool) -> None:
    async with transaction(pool) as conn:
        await conn.execute("INSERT INTO pool_probe VALUES (2)")
        raise RuntimeError("the handler failed")


async def test_statements_autocommit_and_transaction_rolls_back_on_error(db_url: str) -> None:
    async with _pool(db_url) as pool:
        async with pool.connection() as conn:
            await conn.execute("CREATE TABLE pool_probe (v int)")
            await conn.execute("INSERT INTO pool_probe VALUES (1)")  # committed on its own
        with pytest.raises(RuntimeError):
            await _insert_then_fail(pool)
        async with transaction(pool) as conn:
            await conn.execute("INSERT INTO pool_probe VALUES (3)")
        async with pool.connection() as conn:
            cur = await conn.execute("SELECT array_agg(v ORDER BY v) FROM pool_probe")
            assert await cur.fetchone() == ([1, 3],)
            assert conn.autocommit


async def test_connection_is_pinged_only_after_sitting_idle(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    original = AsyncConnectionPool.check_connection

    async def counting(conn: AsyncConnection[TupleRow]) -> None:
        pings.append(conn)
        await original(conn)

    monkeypatch.setattr(pool_module.AsyncConnectionPool, "check_connection", counting)
    async with await AsyncConnection.connect(db_url, autocommit=True) as conn:
        busy = IdleConnectionCheck(idle_after_s=3600)
        for _ in range(5):
            await busy(conn)
        assert len(pings) == 1  # only the first time it is handed out
        idle = IdleConnectionCheck(idle_after_s=0.0)
        for _ in range(2):
            await idle(conn)
        assert len(pings) == 3  # counted as idle every time
