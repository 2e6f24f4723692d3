"""What a task needs, assembled once per worker process (cosmicpython's bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass

from procrastinate import App
from psycopg_pool import AsyncConnectionPool

from shared.exchange.breaker import BreakerRegistry
from shared.exchange.budget import BudgetRegistry
from shared.exchange.factory import ExchangeAdapters, ExchangeLayerConfig
from shared.exchange.market_data import MarketDataCache
from shared.metrics import observe_venue_call
from shared.repositories.venue_budgets import request_weights_per_minute
from shared.settings import Settings
from worker.credentials import CredentialVault


@dataclass
class WorkerContext:
    settings: Settings
    pool: AsyncConnectionPool
    job_app: App
    adapters: ExchangeAdapters
    market_data: MarketDataCache
    vault: CredentialVault


_current: WorkerContext | None = None


def current() -> WorkerContext:
    if _current is None:
        raise RuntimeError("the worker context is not set up (run through worker.main)")
    return _current


async def build_context(
    settings: Settings, pool: AsyncConnectionPool, job_app: App
) -> WorkerContext:
    global _current
    async with pool.connection() as conn:
        weights = await request_weights_per_minute(conn)
    adapters = ExchangeAdapters(
        ExchangeLayerConfig(
            paper_exchange_url=settings.paper_exchange_url,
            timeout_ms=settings.exchange_timeout_ms,
            recv_window_ms=settings.exchange_recv_window_ms,
        ),
        breakers=BreakerRegistry(),
        budgets=BudgetRegistry(pool, egress=settings.egress_id),
        weight_per_minute=weights,
        observer=observe_venue_call,
    )
    _current = WorkerContext(
        settings=settings,
        pool=pool,
        job_app=job_app,
        adapters=adapters,
        market_data=MarketDataCache(ttl_s=1.0),
        vault=CredentialVault.from_settings(settings),
    )
    return _current


async def close_context() -> None:
    global _current
    if _current is not None:
        await _current.adapters.close_all()
        _current = None
