"""What a task needs, assembled once per worker process (cosmicpython's bootstrap).

The context reaches tasks through procrastinate, not a module global: whoever runs the
worker passes `additional_context=job_context_extras(ctx)` to `run_worker_async`, and
procrastinate copies that dict into every job's `JobContext.additional_context`, where a
task (declared with `pass_context=True`) reads it with `worker_context(context)`. So
the context is explicit where a task starts, and two workers in one process (the tests)
can each run with their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from procrastinate import App, JobContext
from psycopg_pool import AsyncConnectionPool

from shared.exchange.breaker import BreakerRegistry
from shared.exchange.budget import BudgetRegistry
from shared.exchange.factory import ExchangeAdapters, ExchangeLayerConfig
from shared.exchange.market_data import MarketDataCache
from shared.metrics import observe_venue_call
from shared.repositories.venue_budgets import request_weights_per_minute
from shared.settings import Settings
from worker.credentials import CredentialVault
from worker.streams.books import BookFeeds


@dataclass
class WorkerContext:
    settings: Settings
    pool: AsyncConnectionPool
    job_app: App
    adapters: ExchangeAdapters
    market_data: MarketDataCache
    vault: CredentialVault
    # Books from market streams, shared by the process's bot ticks (REST when stale).
    book_feeds: BookFeeds


# The key of the WorkerContext in procrastinate's JobContext.additional_context.
WORKER_CONTEXT_KEY = "tradebridge.worker_context"


def job_context_extras(ctx: WorkerContext) -> dict[str, Any]:
    """What to pass as `run_worker_async(additional_context=...)`."""
    return {WORKER_CONTEXT_KEY: ctx}


def worker_context(context: JobContext) -> WorkerContext:
    """The WorkerContext of the worker running this job."""
    ctx = context.additional_context.get(WORKER_CONTEXT_KEY)
    if not isinstance(ctx, WorkerContext):
        raise RuntimeError(
            "the job runs without a worker context: run the worker through worker.main, or"
            " pass additional_context=job_context_extras(ctx) to run_worker_async"
        )
    return ctx


async def build_context(
    settings: Settings, pool: AsyncConnectionPool, job_app: App
) -> WorkerContext:
    async with pool.connection() as conn:
        weights = await request_weights_per_minute(conn)
    adapters = ExchangeAdapters(
        ExchangeLayerConfig(
            paper_exchange_url=settings.paper_exchange_url,
            timeout_ms=settings.exchange_timeout_ms,
            recv_window_ms=settings.exchange_recv_window_ms,
            stream_venues=frozenset(settings.stream_venues),
        ),
        breakers=BreakerRegistry(),
        budgets=BudgetRegistry(pool, egress=settings.egress_id),
        weight_per_minute=weights,
        observer=observe_venue_call,
    )
    return WorkerContext(
        settings=settings,
        pool=pool,
        job_app=job_app,
        adapters=adapters,
        market_data=MarketDataCache(ttl_s=1.0),
        vault=CredentialVault.from_settings(settings),
        book_feeds=BookFeeds(max_age_s=settings.book_max_age_s),
    )


async def close_context(ctx: WorkerContext) -> None:
    await ctx.book_feeds.close()
    await ctx.adapters.close_all()
