"""Balances: fetched from the venue (REST) or applied from a user-data stream, stored in
`balances`, read back by bot ticks from there.

A failed fetch never writes zeros: it records the error beside the untouched values, and
readers report them as stale with the error (the seeds shipped exactly that bug).
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID

from shared.db.pool import transaction
from shared.exchange.errors import ExchangeCallError
from shared.exchange.protocol import ExchangeAdapter
from shared.exchange.streams import BalanceUpdate
from shared.exchange.types import AssetBalance
from shared.repositories.accounts import record_refresh_failed, store_balances, upsert_balances
from worker.context import WorkerContext
from worker.credentials import CredentialUnavailableError

BALANCE_TIMEOUT_S = 15.0
_ASSET_CODE = re.compile(r"[A-Z0-9]{1,20}")  # the balances.asset CHECK; others are not coins


class BalanceRefresh(StrEnum):
    REFRESHED = "refreshed"
    FAILED = "failed"  # the error is stored beside the last good values


def _coins(balances: dict[str, AssetBalance]) -> list[AssetBalance]:
    return [b for b in balances.values() if _ASSET_CODE.fullmatch(b.asset)]


async def fetch_and_store_balances(
    ctx: WorkerContext, credential_id: UUID, adapter: ExchangeAdapter, *, timeout_s: float
) -> dict[str, AssetBalance]:
    """Ask the venue (REST) and store the answer; raises what the call raised (a
    TimeoutError after `timeout_s`)."""
    at = datetime.now(UTC)
    balances = await asyncio.wait_for(adapter.fetch_balance(), timeout_s)
    async with transaction(ctx.pool) as conn:
        await store_balances(
            conn, credential_id, _coins(balances), listed_assets=list(balances), at=at
        )
    return balances


async def refresh_balances(ctx: WorkerContext, credential_id: UUID) -> BalanceRefresh:
    at = datetime.now(UTC)
    try:
        async with ctx.pool.connection() as conn:
            credential = await ctx.vault.open(conn, credential_id)
        adapter = ctx.adapters.for_credential(credential)
        await fetch_and_store_balances(ctx, credential_id, adapter, timeout_s=BALANCE_TIMEOUT_S)
    except (ExchangeCallError, CredentialUnavailableError, TimeoutError) as exc:
        message = str(exc) or f"no answer in {BALANCE_TIMEOUT_S:.0f}s"
        async with ctx.pool.connection() as conn:
            await record_refresh_failed(conn, credential_id, at=at, error=message[:500])
        return BalanceRefresh.FAILED
    return BalanceRefresh.REFRESHED


async def apply_balance_update(
    ctx: WorkerContext, credential_id: UUID, update: BalanceUpdate
) -> None:
    """A stream's balance event: the assets it names, each only if newer than what is
    stored (a replayed or reordered event changes nothing)."""
    async with transaction(ctx.pool) as conn:
        await upsert_balances(conn, credential_id, _coins(update.balances), at=update.at)
