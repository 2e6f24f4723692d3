"""A credential's balances as the worker writes them (sql/queries/accounts.sql).

A failed fetch never writes zeros: it records the error beside the untouched values.
Functions take the connection: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.statements import execute, execute_many
from shared.exchange.types import AssetBalance


async def record_refresh_failed(
    conn: AsyncConnection[Any], credential_id: UUID, *, at: datetime, error: str
) -> None:
    """The snapshot stays as it was (the last good values, now stale), with the error."""
    await execute(conn, "accounts_refresh_failed", credential_id=credential_id, at=at, error=error)


async def upsert_balances(
    conn: AsyncConnection[Any], credential_id: UUID, balances: list[AssetBalance], *, at: datetime
) -> None:
    """These assets as of `at`, each only over an older value (a stream's balance event:
    it names the assets that changed, not the whole account)."""
    await execute_many(
        conn,
        "accounts_upsert_balance",
        [
            {
                "credential_id": credential_id,
                "asset": b.asset,
                "free": b.free,
                "used": b.used,
                "total": b.total,
                "fetched_at": at,
            }
            for b in balances
        ],
    )


async def store_balances(
    conn: AsyncConnection[Any],
    credential_id: UUID,
    balances: list[AssetBalance],
    *,
    listed_assets: list[str],
    at: datetime,
) -> None:
    """The venue's answer at `at`: its balances, zero for every asset it no longer lists
    (spent to zero), and the refresh marked successful. Run inside one transaction."""
    await upsert_balances(conn, credential_id, balances, at=at)
    await execute(
        conn,
        "accounts_zero_missing_assets",
        credential_id=credential_id,
        assets=listed_assets,
        fetched_at=at,
    )
    await execute(conn, "accounts_refresh_succeeded", credential_id=credential_id, at=at)
