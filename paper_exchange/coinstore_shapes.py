"""Coinstore's JSON shapes for the shared engine's orders, trades, books and balances.

Coinstore order ids are venue-wide (orderInfo takes no symbol), the engine's are per
symbol: a Coinstore id is the symbol's number times ID_SPAN plus the engine's id.
Currency ids (accountMatches names the fee currency by id) number the configured
assets in alphabetical order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from paper_exchange.accounts import Account
from paper_exchange.config import SymbolSpec
from paper_exchange.market import SymbolMarket
from paper_exchange.models import Order, Trade
from paper_exchange.numbers import ZERO
from paper_exchange.state import PaperState

ID_SPAN = 10**12

STATUSES = {
    "NEW": "SUBMITTED",
    "PARTIALLY_FILLED": "PARTIAL_FILLED",
    "FILLED": "FILLED",
    "CANCELED": "CANCELED",
    "EXPIRED": "EXPIRED",
}
ORDER_TYPES = {"LIMIT": "LIMIT", "LIMIT_MAKER": "POST_ONLY", "MARKET": "MARKET"}


def plain(value: Decimal) -> str:
    """Coinstore writes amounts as plain decimal strings without trailing zeros."""
    return format(value.normalize(), "f") if value else "0"


def decimals(step: Decimal) -> int:
    """tickSz / lotSz: a step of 0.01 is 2 decimal places."""
    return max(-step.normalize().as_tuple().exponent, 0)  # type: ignore[operator]


def symbol_number(state: PaperState, symbol: str) -> int:
    return list(state.market.symbols).index(symbol) + 1


def venue_order_id(state: PaperState, order: Order) -> int:
    return symbol_number(state, order.symbol) * ID_SPAN + order.order_id


def engine_order_ref(state: PaperState, value: int) -> tuple[str, int] | None:
    """(symbol, engine order id) of a Coinstore order id; None when it names no symbol."""
    number, order_id = divmod(value, ID_SPAN)
    symbols = list(state.market.symbols)
    if not 1 <= number <= len(symbols):
        return None
    return symbols[number - 1], order_id


def currency_ids(state: PaperState) -> dict[str, int]:
    assets = sorted({a for s in state.config.symbols for a in (s.base, s.quote)})
    return {asset: number for number, asset in enumerate(assets, start=1)}


def symbol_json(state: PaperState, spec: SymbolSpec) -> dict[str, Any]:
    fee = plain(state.config.fee_rate)
    return {
        "symbolId": symbol_number(state, spec.symbol),
        "symbolCode": spec.symbol,
        "tradeCurrencyCode": spec.base.lower(),  # as the venue sends them
        "quoteCurrencyCode": spec.quote.lower(),
        "openTrade": True,
        "onLineTime": 1609813531019,
        "tickSz": decimals(spec.tick_size),
        "lotSz": decimals(spec.step_size),
        "minLmtPr": plain(spec.min_price),
        "minLmtSz": plain(spec.min_qty),
        "minMktVa": plain(spec.min_notional),
        "minMktSz": plain(spec.min_qty),
        "makerFee": fee,
        "takerFee": fee,
    }


def order_json(state: PaperState, order: Order, account: Account) -> dict[str, Any]:
    """An order as orderInfo (v2) and active (v2) give it."""
    spec = state.market.symbols[order.symbol].spec
    average = order.cumulative_quote_qty / order.executed_qty if order.executed_qty else ZERO
    return {
        "baseCurrency": spec.base,
        "quoteCurrency": spec.quote,
        "side": order.side,
        "cumQty": plain(order.executed_qty),
        "ordId": venue_order_id(state, order),
        "clOrdId": order.client_order_id,
        "ordType": ORDER_TYPES[order.type],
        "ordQty": plain(order.orig_qty),
        "ordAmt": plain(order.orig_quote_qty),
        "cumAmt": plain(order.cumulative_quote_qty),
        "accountId": account.uid,
        "timeInForce": order.time_in_force or "GTC",
        "ordPrice": plain(order.price),
        "leavesQty": plain(order.remaining if order.is_open else ZERO),
        "avgPrice": plain(average),
        "ordStatus": STATUSES[order.status],
        "symbol": order.symbol,
        "orderUpdateTime": order.update_time or order.time,
        "timestamp": order.time,
    }


def match_json(state: PaperState, trade: Trade, account: Account) -> dict[str, Any]:
    """One of the account's matches, as accountMatches gives it."""
    spec = state.market.symbols[trade.symbol].spec
    ids = currency_ids(state)
    role = -1 if trade.is_maker else 1  # MAKER(-1), TAKER(1)
    return {
        "id": trade.id,
        "remainingQty": "0",
        "matchRole": role,
        "feeCurrencyId": ids[trade.commission_asset],
        "acturalFeeRate": plain(state.config.fee_rate),  # sic: the venue's spelling
        "role": role,
        "accountId": account.uid,
        "instrumentId": symbol_number(state, trade.symbol),
        "baseCurrencyId": ids[spec.base],
        "quoteCurrencyId": ids[spec.quote],
        "execQty": plain(trade.qty),
        "orderState": 50,
        "matchId": trade.id,
        "orderId": symbol_number(state, trade.symbol) * ID_SPAN + trade.order_id,
        "side": 1 if trade.side == "BUY" else -1,
        "execAmt": plain(trade.quote_qty),
        "selfDealingQty": "0",
        "tradeId": trade.id,
        "fee": plain(trade.commission),
        "matchTime": trade.time // 1000,  # seconds, as in the documented example
        "seq": None,
    }


def depth_json(state: PaperState, sm: SymbolMarket, levels: int) -> dict[str, Any]:
    book = sm.book(levels)
    number = symbol_number(state, sm.spec.symbol)
    return {
        "channel": f"{number}@depth@{levels}",
        "level": levels,
        "a": [[plain(lvl.price), plain(lvl.qty), -1] for lvl in book.asks],
        "b": [[plain(lvl.price), plain(lvl.qty), 1] for lvl in book.bids],
        "symbol": sm.spec.symbol,
        "instrumentId": number,
    }


def ticker_json(state: PaperState, sm: SymbolMarket) -> dict[str, Any]:
    trades = state.engine.trades[sm.spec.symbol]
    last = trades[-1].price if trades else sm.mid
    return {
        "channel": "ticker",
        "bidSize": plain(sm.spec.level_qty),
        "askSize": plain(sm.spec.level_qty),
        "count": len(trades),
        "volume": plain(sum((t.qty for t in trades), ZERO)),  # base, as the example shows
        "amount": plain(sum((t.quote_qty for t in trades), ZERO)),  # quote
        "close": plain(last),
        "open": plain(sm.open_price),
        "high": plain(max(sm.high, last)),
        "low": plain(min(sm.low, last)),
        "bid": plain(sm.best_bid()),
        "ask": plain(sm.best_ask()),
        "symbol": sm.spec.symbol,
        "instrumentId": symbol_number(state, sm.spec.symbol),
    }


def balance_rows(account: Account) -> list[dict[str, Any]]:
    """accountList: an AVAILABLE (type 1) and a FROZEN (type 4) row per currency."""
    rows: list[dict[str, Any]] = []
    for asset, bal in sorted(account.balances.items()):
        for kind, name, amount in ((1, "AVAILABLE", bal.free), (4, "FROZEN", bal.locked)):
            rows.append({"uid": account.uid, "accountId": account.uid, "currency": asset,
                         "balance": plain(amount), "type": kind, "typeName": name})  # fmt: skip
    return rows
