"""Binance spot OCO order lists through ccxt's implicit API: the request's parameters
and the answers parsed into the exchange layer's types.

ccxt has no unified call for Binance's current OCO endpoint, so the adapter calls it by
name (`private_post_orderlist_oco`, `private_get_orderlist`); ccxt still signs the
request and maps the venue's error codes to its exceptions, which the adapter maps to
ours like any other call's.

The wire (POST /api/v3/orderList/oco): an OCO has an *above* and a *below* leg of one
side and quantity. A SELL (a long's exits) puts the take profit above the market as a
LIMIT_MAKER and the stop loss below it as a STOP_LOSS_LIMIT (belowStopPrice, belowPrice,
belowTimeInForce); a BUY mirrors them. Every id is ours: listClientOrderId and each
leg's client order id.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async

from shared.domain import OrderSide
from shared.exchange.ccxt_parsing import parse_order
from shared.exchange.types import ExchangeOrderList, OcoToSend


def _wire(value: str) -> str:
    """ccxt's precision helpers answer a string; Decimal(...) normalises "0.10" and "1e-5"."""
    return format(Decimal(value), "f")


def oco_params(client: ccxt_async.Exchange, request: OcoToSend) -> dict[str, Any]:
    """The request's parameters, amounts and prices at the market's precision (already
    rounded by the pipeline's pre-trade checks; this guards the wire format only)."""
    symbol = request.symbol
    market = client.market(symbol)

    def price(value: Decimal) -> str:
        return _wire(client.price_to_precision(symbol, str(value)))

    take_profit = {
        "Type": "LIMIT_MAKER",
        "Price": price(request.take_profit_price),
        "ClientOrderId": request.take_profit_client_order_id,
    }
    stop_loss = {
        "Type": "STOP_LOSS_LIMIT",
        "StopPrice": price(request.stop_price),
        "Price": price(request.stop_limit_price),
        "TimeInForce": "GTC",
        "ClientOrderId": request.stop_client_order_id,
    }
    above, below = (
        (take_profit, stop_loss) if request.side is OrderSide.SELL else (stop_loss, take_profit)
    )
    params: dict[str, Any] = {
        "symbol": market["id"],
        "side": request.side.value.upper(),
        "quantity": _wire(client.amount_to_precision(symbol, str(request.amount))),
        "listClientOrderId": request.list_client_order_id,
        "newOrderRespType": "FULL",  # both legs' state (and any fills) in the answer
        # As create_order: a leg that would match the account's own resting order
        # expires instead of trading with it.
        "selfTradePreventionMode": "EXPIRE_TAKER",
    }
    params.update({f"above{key}": value for key, value in above.items()})
    params.update({f"below{key}": value for key, value in below.items()})
    return params


def parse_placed_list(
    client: ccxt_async.Exchange, symbol: str, raw: dict[str, Any]
) -> ExchangeOrderList:
    """The placement's answer: the list and its `orderReports` (one full order each)."""
    market = client.market(symbol)
    legs = tuple(parse_order(client.parse_order(report, market)) for report in raw["orderReports"])
    return ExchangeOrderList(
        exchange_list_id=str(raw["orderListId"]),
        list_client_order_id=raw.get("listClientOrderId"),
        symbol=symbol,
        legs=legs,
    )


def leg_ids(raw: dict[str, Any]) -> list[str]:
    """A list query's answer names its legs only (orderId, clientOrderId): their state
    takes one order query each."""
    return [str(entry["orderId"]) for entry in raw.get("orders") or []]
