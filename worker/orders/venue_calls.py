"""Reads the pipeline makes more than once: an order's venue state with its new trades."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from shared.exchange.protocol import ExchangeAdapter
from shared.exchange.types import ExchangeOrder, Trade
from shared.repositories.orders import Order
from worker.context import WorkerContext


def settle_s(ctx: WorkerContext, adapter: ExchangeAdapter) -> float:
    """How long a lost request to this venue may still turn into an order: the configured
    settle time, or the venue's own floor when its rules are weaker."""
    return max(ctx.settings.order_settle_s, adapter.min_settle_s)


@asynccontextmanager
async def timed() -> AsyncIterator[Callable[[], int]]:
    """`async with timed() as elapsed:` … `elapsed()` in milliseconds, also after an error."""
    started = time.perf_counter()
    yield lambda: int((time.perf_counter() - started) * 1000)


async def trades_if_filled_more(
    adapter: ExchangeAdapter, order: Order, venue_order: ExchangeOrder
) -> list[Trade]:
    """The order's trades, fetched only when the venue reports more filled than we hold
    and the answer did not carry them already."""
    if venue_order.filled <= order.filled_amount or venue_order.trades:
        return []
    return await adapter.fetch_my_trades(
        order.symbol, exchange_order_id=venue_order.exchange_order_id
    )


async def fetch_with_trades(
    adapter: ExchangeAdapter,
    order: Order,
    *,
    exchange_order_id: str | None = None,
    client_order_id: str | None = None,
) -> tuple[ExchangeOrder, list[Trade]] | None:
    """The venue's copy of `order` and its new trades; None when the venue has no such
    order. A venue that reset its data reuses its ids: an order found under our venue id
    but carrying another client order id is not ours, and counts as not found."""
    venue_order = await adapter.fetch_order(
        order.symbol, exchange_order_id=exchange_order_id, client_order_id=client_order_id
    )
    if venue_order is None or not is_same_order(order, venue_order):
        return None
    return venue_order, await trades_if_filled_more(adapter, order, venue_order)


def is_same_order(order: Order, venue_order: ExchangeOrder) -> bool:
    """Whether the venue's order is ours: every order is sent with our client order id."""
    return venue_order.client_order_id in (None, order.client_order_id)
