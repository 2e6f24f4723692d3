"""A user-data stream's events, written through the same forward-only statements as
REST answers (shared.repositories.order_pipeline): status never backwards, fills once
each. So a replayed or duplicated event, two owners for a moment, or a stream event
racing a REST answer change nothing wrong; order_events say `via = stream`."""

from __future__ import annotations

from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from shared.exchange.types import ExchangeOrder
from shared.repositories.order_pipeline import orders_by_client_order_ids
from shared.repositories.orders import Order
from worker.orders.state import apply_venue_order, status_from_venue


async def apply_order_updates(
    pool: AsyncConnectionPool, credential_id: UUID, updates: list[ExchangeOrder]
) -> int:
    """Each update, with the trades it carries, to our order of that client order id in
    one statement (orders placed outside tradebridge are not ours and are skipped, and so
    are updates the row already shows); how many were written."""
    named = [u.client_order_id for u in updates if u.client_order_id]
    if not named:
        return 0
    async with pool.connection() as conn:
        ours = await orders_by_client_order_ids(conn, credential_id, named)
        applied = 0
        for update in updates:
            order = ours.get(update.client_order_id or "")
            if order is None or _already_known(order, update):
                continue
            # One statement each (autocommit): it locks only its own row.
            await apply_venue_order(conn, order, update, via="stream")
            applied += 1
    return applied


def _already_known(order: Order, update: ExchangeOrder) -> bool:
    """The row says what the event says (the placement's or the cancel's own answer got
    there first, as it mostly does) and the event brings no trade: writing it would
    change nothing, so it costs no statement. Read just before; a row that moved on since
    only makes the skipped write a no-op it would have been anyway."""
    return (
        not update.trades
        and order.exchange_order_id is not None
        and order.status is status_from_venue(update)
        and order.filled_amount == update.filled
    )
