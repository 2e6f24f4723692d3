"""A user-data stream's events, written through the same forward-only statements as
REST answers (shared.repositories.order_pipeline): status never backwards, fills once
each. So a replayed or duplicated event, two owners for a moment, or a stream event
racing a REST answer change nothing wrong; order_events say `via = stream`."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from shared.exchange.types import ExchangeOrder, Trade
from shared.repositories.order_pipeline import orders_by_client_order_ids
from worker.orders.state import apply_venue_order, apply_venue_trades


async def apply_order_updates(
    pool: AsyncConnectionPool, credential_id: UUID, updates: list[ExchangeOrder]
) -> int:
    """Each update to our order of that client order id (orders placed outside
    tradebridge are not ours and are skipped); how many were ours."""
    named = [u.client_order_id for u in updates if u.client_order_id]
    if not named:
        return 0
    async with pool.connection() as conn:
        ours = await orders_by_client_order_ids(conn, credential_id, named)
        applied = 0
        for update in updates:
            order = ours.get(update.client_order_id or "")
            if order is None:
                continue
            # One statement each (autocommit): it locks only its own row.
            await apply_venue_order(conn, order, update, via="stream")
            applied += 1
    return applied


async def apply_trades(pool: AsyncConnectionPool, credential_id: UUID, trades: list[Trade]) -> int:
    """Each trade to our order of its client order id, once; how many were ours."""
    by_client_id: dict[str, list[Trade]] = defaultdict(list)
    for trade in trades:
        if trade.client_order_id:
            by_client_id[trade.client_order_id].append(trade)
    if not by_client_id:
        return 0
    async with pool.connection() as conn:
        ours = await orders_by_client_order_ids(conn, credential_id, list(by_client_id))
        applied = 0
        for client_order_id, order in ours.items():
            order_trades = by_client_id[client_order_id]
            await apply_venue_trades(conn, order, order_trades, via="stream")
            applied += len(order_trades)
    return applied
