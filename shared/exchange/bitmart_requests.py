"""BitMart's spot REST rules the connector follows: paths, rate limits, the timestamp
window, and how an order becomes a submit_order body (developer-pro.bitmart.com/en/spot).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from shared.domain import OrderSide, OrderType, TimeInForce
from shared.exchange.bitmart_parsing import venue_symbol
from shared.exchange.errors import PermanentExchangeError
from shared.exchange.native import RateLimit
from shared.exchange.types import OrderToSend
from shared.exchange.wire_numbers import plain

# BitMart's limits are per 2 seconds (per 3 for cancel_all), and the shared budget counts
# them over those windows. Source: BitMart's spot docs, "Rate Limit" and each
# endpoint's "Request Limit" (as listed in bitmartexchange/bitmart-skills, 2026-03). UID
# limits are kept per credential: one key per account is the usual setup.
_PER_2S: dict[str, tuple[str, int, bool]] = {
    # operation: (endpoint group, requests per 2 s, counted per key/UID rather than per IP)
    "load_markets": ("symbols_details", 12, False),  # GET /spot/v1/symbols/details, IP
    "fetch_order_book": ("books", 15, False),  # GET /spot/quotation/v3/books, IP
    "fetch_ticker": ("ticker", 15, False),  # GET /spot/quotation/v3/ticker, IP
    "fetch_balance": ("wallet", 12, True),  # GET /spot/v1/wallet, KEY
    "create_order": ("submit_order", 40, True),  # POST /spot/v2/submit_order, UID
    "cancel_order": ("cancel_order", 40, True),  # POST /spot/v3/cancel_order, UID
    "fetch_order": ("query_order", 50, True),  # POST /spot/v4/query/(client-)order, KEY
    "fetch_open_orders": ("open_orders", 12, True),  # POST /spot/v4/query/open-orders, KEY
    "fetch_my_trades": ("order_trades", 12, True),  # POST /spot/v4/query/order-trades, KEY
    "fetch_account_trades": ("trades", 12, True),  # POST /spot/v4/query/trades, KEY
}
# Counted over BitMart's own windows (the shared budget supports any window length).
RATE_LIMITS: Mapping[str, RateLimit] = {
    operation: RateLimit(group, per_2s, window_s=2, per_key=per_key)
    for operation, (group, per_2s, per_key) in _PER_2S.items()
} | {
    # POST /spot/v4/cancel_all: 1 request per 3 s, UID
    "cancel_all_orders": RateLimit("cancel_all", 1, window_s=3, per_key=True),
}

# How long BitMart accepts a request after its timestamp (30007: "within a minute"), and
# what we add for the two clocks disagreeing.
TIMESTAMP_WINDOW_S = 60.0
CLOCK_MARGIN_S = 5.0

PATHS = {
    "symbols": "/spot/v1/symbols/details",
    "books": "/spot/quotation/v3/books",
    "ticker": "/spot/quotation/v3/ticker",
    "wallet": "/spot/v1/wallet",
    "submit": "/spot/v2/submit_order",
    "cancel": "/spot/v3/cancel_order",
    "cancel_all": "/spot/v4/cancel_all",
    "order": "/spot/v4/query/order",
    "client_order": "/spot/v4/query/client-order",
    "open_orders": "/spot/v4/query/open-orders",
    "order_trades": "/spot/v4/query/order-trades",
    "trades": "/spot/v4/query/trades",
}
MAX_BOOK_LEVELS = 50  # books: "Maximum 50"
MAX_QUERY_LIMIT = 200  # v4 list queries: limit in [1, 200]


def submit_order_body(order: OrderToSend, *, best_ask: Decimal | None) -> dict[str, Any]:
    """The JSON body of POST /spot/v2/submit_order. A market buy is sized in quote
    (`notional`): the amount at `best_ask`, so it buys about `amount` and never more."""
    body: dict[str, Any] = {
        "symbol": venue_symbol(order.symbol),
        "side": order.side.value,
        "client_order_id": order.client_order_id,
        # BitMart's guard against self-trades (wash trades): an order that would match
        # one of the account's resting orders is canceled instead of trading.
        "stpMode": "cancel_taker",
    }
    if order.type is OrderType.LIMIT:
        if order.price is None:
            raise PermanentExchangeError("a limit order needs a price", reason="bad_request")
        tif = order.time_in_force or TimeInForce.GTC
        if tif is TimeInForce.FOK:
            raise PermanentExchangeError(
                "bitmart has no fill-or-kill orders", reason="not_supported"
            )
        body.update(
            type="ioc" if tif is TimeInForce.IOC else "limit",
            size=plain(order.amount),
            price=plain(order.price),
        )
    elif order.side is OrderSide.SELL:
        body.update(type="market", size=plain(order.amount))
    else:
        if best_ask is None:
            raise PermanentExchangeError(
                f"no asks for {order.symbol}: a market buy has no price", reason="not_fillable"
            )
        body.update(type="market", notional=plain(order.amount * best_ask))
    return body
