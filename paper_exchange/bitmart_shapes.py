"""The engine's orders, trades and markets in BitMart's JSON shapes, and BitMart's ids.

BitMart's order and trade ids are unique across symbols (the v4 queries take no symbol),
while the engine numbers orders and trades per symbol. The dialect's id is
``engine_id * ID_SYMBOL_SLOTS + symbol_number`` (symbol_number = the symbol's 1-based
position in the config), so both directions are arithmetic.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from paper_exchange.config import SymbolSpec
from paper_exchange.models import Order, Trade
from paper_exchange.numbers import ZERO, fmt8
from paper_exchange.state import PaperState

ID_SYMBOL_SLOTS = 1000

# BitMart's stpMode ↔ the engine's (Binance's) selfTradePreventionMode.
STP_MODES = {
    "none": "NONE",
    "cancel_maker": "EXPIRE_MAKER",
    "cancel_taker": "EXPIRE_TAKER",
    "cancel_both": "EXPIRE_BOTH",
}
_STP_NAMES = {engine: bitmart for bitmart, engine in STP_MODES.items()}


def venue_symbol(spec: SymbolSpec) -> str:
    return f"{spec.base}_{spec.quote}"


def spec_for(state: PaperState, symbol: str) -> SymbolSpec | None:
    """The engine's spec for a BitMart symbol ("BTC_USDT")."""
    return next(
        (sm.spec for sm in state.market.symbols.values() if venue_symbol(sm.spec) == symbol), None
    )


def symbol_number(state: PaperState, engine_symbol: str) -> int:
    return list(state.market.symbols).index(engine_symbol) + 1


def public_id(state: PaperState, engine_symbol: str, engine_id: int) -> str:
    return str(engine_id * ID_SYMBOL_SLOTS + symbol_number(state, engine_symbol))


def engine_ref(state: PaperState, public: str) -> tuple[str, int] | None:
    """(engine symbol, engine id) for a dialect id; None for an id that names nothing."""
    if not public.isdigit():
        return None
    engine_id, number = divmod(int(public), ID_SYMBOL_SLOTS)
    symbols = list(state.market.symbols)
    if not 1 <= number <= len(symbols):
        return None
    return symbols[number - 1], engine_id


def _decimals(step: Decimal) -> int:
    exponent = step.normalize().as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


def symbol_details(state: PaperState) -> list[dict[str, Any]]:
    """GET /spot/v1/symbols/details entries."""
    return [
        {
            "symbol": venue_symbol(spec),
            "symbol_id": number,
            "base_currency": spec.base,
            "quote_currency": spec.quote,
            "quote_increment": fmt8(spec.step_size),
            "base_min_size": fmt8(spec.min_qty),
            "base_max_size": fmt8(spec.max_qty),
            "price_min_precision": 1,
            "price_max_precision": _decimals(spec.tick_size),
            "expiration": "NA",
            "min_buy_amount": fmt8(spec.min_notional),
            "min_sell_amount": fmt8(spec.min_notional),
            "trade_status": "trading",
        }
        for number, spec in enumerate((sm.spec for sm in state.market.symbols.values()), 1)
    ]


def _order_type(order: Order) -> str:
    if order.type == "MARKET":
        return "market"
    if order.type == "LIMIT_MAKER":
        return "limit_maker"
    return "ioc" if order.time_in_force == "IOC" else "limit"


def _state_and_source(order: Order) -> tuple[str, str]:
    if order.status == "NEW":
        return "new", ""
    if order.status == "PARTIALLY_FILLED":
        return "partially_filled", ""
    if order.status == "FILLED":
        return "filled", ""
    # CANCELED by the user; EXPIRED = an ioc/market remainder BitMart cancels itself.
    source = "user" if order.status == "CANCELED" else "system"
    return ("partially_canceled" if order.executed_qty > 0 else "canceled"), source


def order_json(state: PaperState, order: Order) -> dict[str, Any]:
    """One v4 order (query/order, query/client-order, query/open-orders)."""
    spec = state.market.symbols[order.symbol].spec
    bm_state, cancel_source = _state_and_source(order)
    if order.type == "MARKET" and order.orig_quote_qty > 0:
        notional = order.orig_quote_qty
    else:
        notional = order.price * order.orig_qty
    average = order.cumulative_quote_qty / order.executed_qty if order.executed_qty else ZERO
    return {
        "orderId": public_id(state, order.symbol, order.order_id),
        "clientOrderId": order.client_order_id,
        "symbol": venue_symbol(spec),
        "side": order.side.lower(),
        "orderMode": "spot",
        "type": _order_type(order),
        "state": bm_state,
        "cancelSource": cancel_source,
        "stpMode": _STP_NAMES.get(order.stp_mode, "none"),
        "price": fmt8(order.price),
        "priceAvg": fmt8(average),
        "size": fmt8(order.orig_qty),
        "filledSize": fmt8(order.executed_qty),
        "notional": fmt8(notional),
        "filledNotional": fmt8(order.cumulative_quote_qty),
        "createTime": order.time,
        "updateTime": order.update_time or order.time,
    }


def trade_json(state: PaperState, trade: Trade, order: Order) -> dict[str, Any]:
    """One v4 trade (query/order-trades, query/trades)."""
    spec = state.market.symbols[trade.symbol].spec
    return {
        "tradeId": public_id(state, trade.symbol, trade.id),
        "orderId": public_id(state, trade.symbol, trade.order_id),
        "clientOrderId": order.client_order_id,
        "symbol": venue_symbol(spec),
        "side": trade.side.lower(),
        "orderMode": "spot",
        "type": _order_type(order),
        "stpMode": _STP_NAMES.get(order.stp_mode, "none"),
        "price": fmt8(trade.price),
        "size": fmt8(trade.qty),
        "notional": fmt8(trade.quote_qty),
        "fee": fmt8(trade.commission),
        "feeCoinName": trade.commission_asset,
        "tradeRole": "maker" if trade.is_maker else "taker",
        "createTime": trade.time,
        "updateTime": trade.time,
    }
