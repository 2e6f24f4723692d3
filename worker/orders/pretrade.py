"""place_order's step 2: the venue's market rules and mid, and the local pre-trade checks
(precision, limits, fat-finger band), with no order-changing venue call."""

from __future__ import annotations

from decimal import Decimal

from shared.db.pool import transaction
from shared.domain import CredentialEnvironment, OrderEventKind, OrderStatus, OrderType
from shared.exchange.errors import TransientExchangeError
from shared.exchange.precision import PreTradeCheckError, prepare_order
from shared.exchange.protocol import ExchangeAdapter
from shared.exchange.types import Market, OrderToSend
from shared.repositories.orders import Order
from worker.context import WorkerContext
from worker.orders.state import record_event
from worker.retry import RetryLater, backoff_s


async def market_and_mid(
    ctx: WorkerContext,
    adapter: ExchangeAdapter,
    order: Order,
    environment: CredentialEnvironment,
    job_id: int | None,
) -> tuple[Market, Decimal | None]:
    """The venue's market rules and the current mid, from caches shared by all orders
    (the mid from the process's market stream when it is fresh, else REST).
    Raises PermanentExchangeError (the caller rejects the order) or RetryLater."""
    try:
        market = await adapter.market(order.symbol)
        public = ctx.adapters.public(adapter.venue, environment)
        mid = (await ctx.book_feeds.book(public, order.symbol, rest=ctx.market_data)).mid
    except TransientExchangeError as exc:
        # Visible in order_events: "why has this order not gone out?"
        async with transaction(ctx.pool) as conn:
            await record_event(
                conn,
                order.id,
                OrderEventKind.NOTE,
                error=exc,
                job_id=job_id,
                message=f"waiting for market data: {exc}",
            )
        raise RetryLater(
            f"market data: {exc.reason}", exc.retry_after_s or backoff_s(order.attempts)
        ) from None
    return market, mid


def checked_order(
    ctx: WorkerContext, order: Order, market: Market, mid: Decimal | None
) -> OrderToSend:
    """Rounded to the market's rules; raises PreTradeCheckError for a first send that
    fails a check (an order that may already be at the venue is never refused here)."""
    first_send = order.status is OrderStatus.ACCEPTED
    try:
        prepared = prepare_order(
            market,
            side=order.side,
            order_type=order.type,
            amount=order.amount,
            price=order.price,
            reference_price=mid,
            # The fat-finger band applies to a new limit order; an order that may already
            # be at the venue is never refused locally.
            max_deviation_bps=Decimal(ctx.settings.order_price_band_bps)
            if first_send and order.type is OrderType.LIMIT
            else None,
        )
    except PreTradeCheckError:
        if first_send:
            raise
        prepared_amount, prepared_price = order.amount, order.price
    else:
        prepared_amount, prepared_price = prepared.amount, prepared.price
    return OrderToSend(
        symbol=order.symbol,
        side=order.side,
        type=order.type,
        amount=prepared_amount,
        price=prepared_price,
        client_order_id=order.client_order_id,
        time_in_force=order.time_in_force,
    )
