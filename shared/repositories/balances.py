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

from shared.db.statements import fetch_all, fetch_values


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


@dataclass(frozen=True, slots=True)
class _CredentialAsset:
    credential_id: UUID
    asset: str
    free: Decimal
    used: Decimal
    total: Decimal
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class _RefreshState:
    credential_id: UUID
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


async def get_balance_snapshots(
    conn: AsyncConnection[Any], credential_ids: list[UUID]
) -> dict[UUID, BalanceSnapshot]:
    """Snapshots of several credentials in two queries (a bot list costs the same as one)."""
    assets: dict[UUID, list[AssetBalanceRow]] = {cid: [] for cid in credential_ids}
    for row in await fetch_all(
        conn, _CredentialAsset, "balances_of_credentials", credential_ids=credential_ids
    ):
        assets[row.credential_id].append(
            AssetBalanceRow(row.asset, row.free, row.used, row.total, row.fetched_at)
        )
    refreshes = {
        row.credential_id: row
        for row in await fetch_all(
            conn, _RefreshState, "balances_refresh_states", credential_ids=credential_ids
        )
    }
    snapshots = {}
    for credential_id, rows in assets.items():
        refresh = refreshes.get(credential_id)
        snapshots[credential_id] = BalanceSnapshot(
            assets=rows,
            fetched_at=max((a.fetched_at for a in rows), default=None),
            last_attempt_at=refresh.last_attempt_at if refresh else None,
            last_error=refresh.last_error if refresh else None,
            last_error_at=refresh.last_error_at if refresh else None,
        )
    return snapshots


async def get_balance_snapshot(conn: AsyncConnection[Any], credential_id: UUID) -> BalanceSnapshot:
    return (await get_balance_snapshots(conn, [credential_id]))[credential_id]


async def credentials_of_running_bots(conn: AsyncConnection[Any]) -> list[UUID]:
    """The credentials whose balances running bots need kept fresh."""
    return await fetch_values(conn, "balances_credentials_of_running_bots")
