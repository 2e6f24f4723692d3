"""refresh_balances(credential_id): the last good snapshot is kept when a fetch fails.

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
from shared.repositories.accounts import record_refresh_failed, store_balances
from worker.context import WorkerContext
from worker.credentials import CredentialUnavailableError

BALANCE_TIMEOUT_S = 15.0
_ASSET_CODE = re.compile(r"[A-Z0-9]{1,20}")  # the balances.asset CHECK; others are not coins


class BalanceRefresh(StrEnum):
    REFRESHED = "refreshed"
    FAILED = "failed"  # the error is stored beside the last good values


async def refresh_balances(ctx: WorkerContext, credential_id: UUID) -> BalanceRefresh:
    at = datetime.now(UTC)
    try:
        async with ctx.pool.connection() as conn:
            credential = await ctx.vault.open(conn, credential_id)
        adapter = ctx.adapters.for_credential(credential)
        balances = await asyncio.wait_for(adapter.fetch_balance(), BALANCE_TIMEOUT_S)
    except (ExchangeCallError, CredentialUnavailableError, TimeoutError) as exc:
        message = str(exc) or f"no answer in {BALANCE_TIMEOUT_S:.0f}s"
        async with ctx.pool.connection() as conn:
            await record_refresh_failed(conn, credential_id, at=at, error=message[:500])
        return BalanceRefresh.FAILED
    coins = [b for b in balances.values() if _ASSET_CODE.fullmatch(b.asset)]
    async with transaction(ctx.pool) as conn:
        await store_balances(conn, credential_id, coins, listed_assets=list(balances), at=at)
    return BalanceRefresh.REFRESHED
