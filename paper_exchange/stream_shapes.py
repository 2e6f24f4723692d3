"""Binance's JSON shapes for stream payloads: user-data events and market data.

Field names, types and the 8-decimal strings follow Binance's ``user-data-stream.md`` and
``web-socket-streams.md``; ``ccxt.pro.binance`` parses them (``parse_ws_order``,
``parse_ws_trade``, ``handle_balance``, ``handle_order_book``, ``handle_bids_asks``).
"""

from __future__ import annotations

from typing import Any

from paper_exchange.accounts import Account
from paper_exchange.events import ListUpdate, OrderUpdate
from paper_exchange.market import Level, SymbolMarket
from paper_exchange.models import OPEN_STATUSES
from paper_exchange.numbers import ZERO, fmt8

ZERO8 = fmt8(ZERO)

# Binance's ``eR`` for an order that expired by its own rules.
_EXPIRY_REASONS = {
    "IOC": "UNFILLED_IOC_QUANTITY_EXPIRED",
    "FOK": "UNFILLED_FOK_ORDER_EXPIRED",
}


def _on_book(update: OrderUpdate) -> bool:
    """Whether the order rests on the book after this update (``w``)."""
    order = update.order
    return (
        update.status in OPEN_STATUSES
        and order.is_working
        and not order.trades_as_market
        and (order.time_in_force or "GTC") == "GTC"
    )


def execution_report(update: OrderUpdate, execution_id: int, event_time: int) -> dict[str, Any]:
    """An ``executionReport`` event for one order change."""
    order, trade = update.order, update.trade
    canceled = update.execution_type == "CANCELED"
    working = _on_book(update)
    report: dict[str, Any] = {
        "e": "executionReport",
        "E": event_time,
        "s": order.symbol,
        # A cancel reports the cancel request's id in c and the order's own in C.
        "c": (order.cancel_client_order_id or "") if canceled else order.client_order_id,
        "S": order.side,
        "o": order.type,
        "f": order.time_in_force or "GTC",
        "q": fmt8(order.orig_qty),
        "p": fmt8(order.price),
        "P": fmt8(order.stop_price),
        "F": ZERO8,
        "g": order.order_list_id,
        "C": order.client_order_id if canceled else "",
        "x": update.execution_type,
        "X": update.status,
        "r": "NONE",
        "i": order.order_id,
        "l": fmt8(trade.qty) if trade else ZERO8,
        "z": fmt8(update.cumulative_qty),
        "L": fmt8(trade.price) if trade else ZERO8,
        "n": fmt8(trade.commission) if trade else "0",
        "N": trade.commission_asset if trade else None,
        "T": update.transaction_time,
        "t": trade.id if trade else -1,
        "I": execution_id,
        "w": working,
        "m": trade.is_maker if trade else False,
        "M": False,
        "O": order.time,
        "Z": fmt8(update.cumulative_quote_qty),
        "Y": fmt8(trade.quote_qty) if trade else ZERO8,
        "Q": fmt8(order.orig_quote_qty),
        "V": order.stp_mode,
    }
    if working:
        report["W"] = order.working_time
    if update.execution_type == "EXPIRED":
        reason = _EXPIRY_REASONS.get(order.time_in_force or "", "INSUFFICIENT_LIQUIDITY")
        report["eR"] = order.expiry_reason or (
            "INSUFFICIENT_LIQUIDITY" if order.trades_as_market else reason
        )
    return report


def list_status(update: ListUpdate, event_time: int) -> dict[str, Any]:
    """A ``listStatus`` event: an order list was placed or changed status."""
    order_list = update.order_list
    return {
        "e": "listStatus",
        "E": event_time,
        "s": order_list.symbol,
        "g": order_list.order_list_id,
        "c": order_list.contingency_type,
        "l": update.list_status_type,
        "L": update.list_order_status,
        "r": "NONE",
        "C": order_list.list_client_order_id,
        "T": update.transaction_time,
        "O": [{"s": o.symbol, "i": o.order_id, "c": o.client_order_id} for o in order_list.orders],
    }


def account_position(account: Account, assets: tuple[str, ...], event_time: int) -> dict[str, Any]:
    """An ``outboundAccountPosition`` event: the assets the change may have touched."""
    balances = []
    for asset in assets:
        bal = account.balance(asset)
        balances.append({"a": asset, "f": fmt8(bal.free), "l": fmt8(bal.locked)})
    return {
        "e": "outboundAccountPosition",
        "E": event_time,
        "u": account.update_time,
        "B": balances,
    }


def event_envelope(subscription_id: int, event: dict[str, Any]) -> dict[str, Any]:
    """How the WebSocket API delivers a user-data event of a subscription."""
    return {"subscriptionId": subscription_id, "event": event}


def book_ticker(sm: SymbolMarket) -> dict[str, Any]:
    """``<symbol>@bookTicker`` (no event type, as on Binance)."""
    book = sm.book(1)
    bid, ask = book.bids[0], book.asks[0]
    return {
        "u": sm.update_id,
        "s": sm.spec.symbol,
        "b": fmt8(bid.price),
        "B": fmt8(bid.qty),
        "a": fmt8(ask.price),
        "A": fmt8(ask.qty),
    }


def _levels(levels: tuple[Level, ...] | list[Level]) -> list[list[str]]:
    return [[fmt8(lvl.price), fmt8(lvl.qty)] for lvl in levels]


def partial_depth(sm: SymbolMarket, levels: int) -> dict[str, Any]:
    """``<symbol>@depth<levels>``: the top of the book, like a small REST snapshot."""
    book = sm.book(levels)
    return {"lastUpdateId": sm.update_id, "bids": _levels(book.bids), "asks": _levels(book.asks)}


def depth_update(
    symbol: str,
    first_update_id: int,
    final_update_id: int,
    bids: list[Level],
    asks: list[Level],
    event_time: int,
) -> dict[str, Any]:
    """``<symbol>@depth[@100ms]``: the levels that changed in ``[U, u]`` (qty 0 = gone)."""
    return {
        "e": "depthUpdate",
        "E": event_time,
        "s": symbol,
        "U": first_update_id,
        "u": final_update_id,
        "b": _levels(bids),
        "a": _levels(asks),
    }
