"""A user-data stream's events, written through the same forward-only statements as
REST answers (shared.repositories.order_pipeline): status never backwards, fills once
each. So a replayed or duplicated event, two owners for a moment, or a stream event
racing a REST answer change nothing wrong; order_events say `via = stream`."""

from __future__ import annotations

from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from shared.exchange.types import ExchangeOrder
from shared.repositories.order_pipeline import orders_by_client_order_ids
from worker.orders.state import apply_venue_order


async def apply_order_updates(
    pool: AsyncConnectionPool, credential_id: UUID, updates: list[ExchangeOrder]
) -> int:
    """Each update, with the trades it carries, to our order of that client order id in
    one statement (orders placed outside tradebridge are not ours and are skipped); how
    many were ours."""
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
