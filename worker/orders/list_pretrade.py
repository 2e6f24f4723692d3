"""place_order_list's step 2: both legs rounded to the market's rules and checked, with
no order-changing venue call.

The legs share one amount (rounded down once). Prices round away from trading worse
than asked: up for a sell, down for a buy; the stop price the same way (a sell's stop
rounded up triggers no later than asked). The fat-finger band of a stop leg is measured
against its own stop price, not the mid: the stop rests far from the mid on purpose,
and what the band guards against is a limit that sells far through the market once
triggered. The take profit goes out maker-only (the venue refuses it rather than let it
trade at once), so no band applies to it. The price relations between the legs and the
market (take profit above, stop below, for a sell) are the venue's to enforce: it
answers with its reason, recorded on both legs.
"""

from __future__ import annotations

from decimal import Decimal

from shared.domain import OrderListStatus, OrderSide, OrderType
from shared.exchange.precision import PreTradeCheckError, prepare_order, round_to_step
from shared.exchange.types import Market, OcoToSend
from shared.repositories.order_lists import OrderList
from shared.repositories.orders import Order
from worker.context import WorkerContext


def checked_oco(
    ctx: WorkerContext, order_list: OrderList, take_profit: Order, stop_loss: Order, market: Market
) -> OcoToSend:
    """Raises PreTradeCheckError for a first send that fails a check; a list that may
    already be at the venue is never refused here (it goes out as stored)."""
    assert take_profit.price is not None
    assert stop_loss.price is not None
    assert stop_loss.stop_price is not None
    first_send = order_list.status is OrderListStatus.ACCEPTED
    side = take_profit.side
    try:
        stop_price = round_to_step(
            stop_loss.stop_price, market.price_tick, up=side is OrderSide.SELL
        )
        if stop_price <= 0:
            raise PreTradeCheckError(
                "price_below_tick", f"stop price {stop_loss.stop_price} rounds to zero"
            )
        tp = prepare_order(
            market, side=side, order_type=OrderType.LIMIT, amount=take_profit.amount,
            price=take_profit.price, reference_price=None,
        )  # fmt: skip
        sl = prepare_order(
            market, side=side, order_type=OrderType.LIMIT, amount=stop_loss.amount,
            price=stop_loss.price, reference_price=stop_price,
            max_deviation_bps=Decimal(ctx.settings.order_price_band_bps) if first_send else None,
        )  # fmt: skip
        assert tp.price is not None
        assert sl.price is not None
        amount, tp_price, sl_price = tp.amount, tp.price, sl.price
    except PreTradeCheckError:
        if first_send:
            raise
        amount, tp_price, sl_price = take_profit.amount, take_profit.price, stop_loss.price
        stop_price = stop_loss.stop_price
    return OcoToSend(
        symbol=order_list.symbol,
        side=side,
        amount=amount,
        list_client_order_id=order_list.list_client_order_id,
        take_profit_price=tp_price,
        take_profit_client_order_id=take_profit.client_order_id,
        stop_price=stop_price,
        stop_limit_price=sl_price,
        stop_client_order_id=stop_loss.client_order_id,
    )
