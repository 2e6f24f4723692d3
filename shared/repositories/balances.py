"""The stored balance snapshot of a credential: the last good values and how fresh they are.

Readers never call a venue. A failed refresh leaves the values as they were and records
its error; `stale` says so. A credential never fetched has no values, not zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row, dict_row

from shared.db.sql_files import query


@dataclass(frozen=True, slots=True)
class AssetBalanceRow:
    asset: str
    free: Decimal
    used: Decimal
    total: Decimal
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class BalanceSnapshot:
    assets: list[AssetBalanceRow]
    fetched_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None

    def is_stale(self, max_age_s: float, now: datetime | None = None) -> bool:
        if self.fetched_at is None:
            return True
        if self.last_error_at is not None and self.last_error_at >= self.fetched_at:
            return True
        return ((now or datetime.now(UTC)) - self.fetched_at).total_seconds() > max_age_s


async def get_balance_snapshot(conn: AsyncConnection[Any], credential_id: UUID) -> BalanceSnapshot:
    params = {"credential_id": credential_id}
    async with conn.cursor(row_factory=class_row(AssetBalanceRow)) as cur:
        await cur.execute(query("balances_of_credential"), params)
        assets = await cur.fetchall()
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query("balances_refresh_state"), params)
        refresh = await cur.fetchone() or {}
    return BalanceSnapshot(
        assets=assets,
        fetched_at=max((a.fetched_at for a in assets), default=None),
        last_attempt_at=refresh.get("last_attempt_at"),
        last_error=refresh.get("last_error"),
        last_error_at=refresh.get("last_error_at"),
    )
