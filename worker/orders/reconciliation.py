"""Open orders are reconciled with the venue (status + trades) until terminal.

Batched per credential: one open-orders call per symbol answers for every order still
open; only the orders missing from it (closed since) are fetched one by one. Writes are
forward-only, so a reconciliation racing a cancel or a placement changes nothing wrong.
"""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

import structlog

from shared.db.pool import transaction
from shared.domain import OrderStatus
from shared.exchange.errors import ExchangeCallError
from shared.exchange.protocol import ExchangeAdapter
from shared.exchange.types import ExchangeOrder, Trade
from shared.repositories.order_pipeline import orders_missing_fills
from shared.repositories.orders import Order
from worker.context import WorkerContext
from worker.orders.state import (
    NothingToDo,
    apply_venue_order,
    apply_venue_trades,
    lock_live_orders_of_credential,
    lock_order,
    venue_denies_order,
)
from worker.orders.venue_calls import fetch_with_trades, settle_s, trades_if_filled_more
from worker.retry import RetryLater, backoff_s

log = structlog.get_logger(__name__)
# How far back the gap close looks for orders missing fills.
MISSING_FILLS_WITHIN_S = 24 * 3600.0


async def reconcile_order(
    ctx: WorkerContext, order_id: UUID, job_id: int | None = None
) -> OrderStatus | NothingToDo:
    """The order's status after comparing it with the venue's."""
    async with transaction(ctx.pool) as conn:
        order = await lock_order(conn, order_id)
        if order is None or not order.status.is_at_venue:
            return NothingToDo.NOTHING_TO_DO
        credential = await ctx.vault.open(conn, order.credential_id)
    adapter = ctx.adapters.for_credential(credential)
    try:
        found = await fetch_with_trades(adapter, order, exchange_order_id=order.exchange_order_id)
    except ExchangeCallError as exc:
        raise RetryLater(f"reconcile: {exc.reason}", exc.retry_after_s or backoff_s(1)) from None
    if found is None:
        return await _denied(ctx, order, adapter, job_id)
    return await _apply(ctx, order, *found, job_id=job_id)


async def reconcile_credential(
    ctx: WorkerContext, credential_id: UUID, job_id: int | None = None
) -> int:
    """Reconcile every open order of one credential; returns how many changed status.
    A venue error ends the run early (logged), never retries it: see below."""
    progress = _Progress()
    try:
        await close_gap(ctx, credential_id, job_id, progress)
    except ExchangeCallError as exc:
        # Not retried in place: this job has a queueing lock, and the sweep may have queued
        # its twin meanwhile (a retry back to `todo` beside it is refused, and the job would
        # stay `doing`). The sweep comes back within the reconcile interval anyway.
        log.warning(
            "reconciliation stopped at a venue error; the sweep comes back",
            credential_id=str(credential_id),
            reason=exc.reason,
            changed=progress.changed,
        )
    return progress.changed


class _Progress:
    changed = 0


async def close_gap(
    ctx: WorkerContext,
    credential_id: UUID,
    job_id: int | None = None,
    progress: _Progress | None = None,
) -> int:
    """Bring every open order of the credential up to the venue's view (REST), and fetch
    the trades of any recent order whose fills fall short of its filled amount; how many
    changed status. Raises a venue error: a user-data stream runs this after each
    (re)connect and must not trust itself before it succeeded."""
    progress = progress or _Progress()
    async with transaction(ctx.pool) as conn:
        orders = await lock_live_orders_of_credential(conn, credential_id)
        missing_fills = await orders_missing_fills(
            conn, credential_id, within_s=MISSING_FILLS_WITHIN_S
        )
        if not orders and not missing_fills:
            return 0
        credential = await ctx.vault.open(conn, credential_id)
    adapter = ctx.adapters.for_credential(credential)
    await _fetch_missing_fills(ctx, adapter, missing_fills)

    by_symbol: dict[str, list[Order]] = defaultdict(list)
    for order in orders:
        by_symbol[order.symbol].append(order)
    for symbol, symbol_orders in by_symbol.items():
        # Keyed by our client order id: after a venue reset, its ids name other orders.
        still_open = {o.client_order_id: o for o in await adapter.fetch_open_orders(symbol)}
        for order in symbol_orders:
            venue_order = still_open.get(order.client_order_id)
            if venue_order is not None:
                trades = await trades_if_filled_more(adapter, order, venue_order)
                found: tuple[ExchangeOrder, list[Trade]] | None = (venue_order, trades)
            else:
                found = await fetch_with_trades(
                    adapter, order, exchange_order_id=order.exchange_order_id
                )
            if found is None:
                status = await _denied(ctx, order, adapter, job_id)
            else:
                status = await _apply(ctx, order, *found, job_id=job_id)
            progress.changed += status is not order.status
    return progress.changed


async def _fetch_missing_fills(
    ctx: WorkerContext, adapter: ExchangeAdapter, orders: list[Order]
) -> None:
    """Orders whose fills add up to less than their filled amount get their trades from
    the venue, each written once (a trade lost on its way in, on any path)."""
    for order in orders:
        trades = await adapter.fetch_my_trades(
            order.symbol, exchange_order_id=order.exchange_order_id
        )
        ours = [t for t in trades if t.order_id in (None, order.exchange_order_id)]
        async with ctx.pool.connection() as conn:
            await apply_venue_trades(conn, order, ours, via="rest")
        log.info("missing fills fetched", order_id=str(order.id), trades=len(ours))


async def _apply(
    ctx: WorkerContext,
    order: Order,
    venue_order: ExchangeOrder,
    trades: list[Trade],
    *,
    job_id: int | None,
) -> OrderStatus:
    # One statement (autocommit).
    async with ctx.pool.connection() as conn:
        return await apply_venue_order(conn, order, venue_order, trades=trades, job_id=job_id)


async def _denied(
    ctx: WorkerContext, order: Order, adapter: ExchangeAdapter, job_id: int | None
) -> OrderStatus:
    """The venue no longer knows the order: expired once that has held for the settle time."""
    async with ctx.pool.connection() as conn:
        return await venue_denies_order(
            conn,
            order,
            call="fetch_order",
            latency_ms=None,
            settle_s=settle_s(ctx, adapter),
            job_id=job_id,
        )
