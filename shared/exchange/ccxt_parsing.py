"""ccxt's unified dicts → the exchange layer's typed, Decimal values.

ccxt keeps numbers as floats; each is converted once, here, through its shortest
round-trip repr (`Decimal(str(x))`), and no arithmetic is done on floats.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from shared.domain import OrderSide, OrderType
from shared.exchange.types import (
    AssetBalance,
    BookLevel,
    Candle,
    ExchangeOrder,
    Market,
    OrderBook,
    Ticker,
    Trade,
    VenueOrderStatus,
)
from shared.exchange.wire_numbers import dec, dec0, from_epoch

# ccxt.base.decimal_to_precision constants
DECIMAL_PLACES = 2
TICK_SIZE = 4


def _step(precision: Any, mode: int) -> Decimal:
    value = dec(precision)
    if value is None:
        raise ValueError("market has no precision")
    if mode == TICK_SIZE:
        return value
    if mode == DECIMAL_PLACES:
        return Decimal(1).scaleb(-int(value))
    raise ValueError(f"unsupported ccxt precision mode {mode}")


def parse_market(raw: dict[str, Any], precision_mode: int) -> Market:
    limits = raw.get("limits") or {}
    amount_limits = limits.get("amount") or {}
    price_limits = limits.get("price") or {}
    cost_limits = limits.get("cost") or {}
    return Market(
        symbol=raw["symbol"],
        base=raw["base"],
        quote=raw["quote"],
        price_tick=_step(raw["precision"]["price"], precision_mode),
        amount_step=_step(raw["precision"]["amount"], precision_mode),
        min_amount=dec(amount_limits.get("min")),
        max_amount=dec(amount_limits.get("max")),
        min_notional=dec(cost_limits.get("min")),
        max_notional=dec(cost_limits.get("max")),
        min_price=dec(price_limits.get("min")),
        max_price=dec(price_limits.get("max")),
        active=raw.get("active") is not False,
    )


def parse_order_book(symbol: str, raw: dict[str, Any]) -> OrderBook:
    def levels(rows: list[list[Any]]) -> tuple[BookLevel, ...]:
        return tuple(BookLevel(dec0(row[0]), dec0(row[1])) for row in rows)

    return OrderBook(
        symbol=symbol,
        bids=levels(raw.get("bids") or []),
        asks=levels(raw.get("asks") or []),
        fetched_at=datetime.now(UTC),
    )


def parse_ticker(symbol: str, raw: dict[str, Any]) -> Ticker:
    return Ticker(
        symbol=symbol,
        bid=dec(raw.get("bid")),
        ask=dec(raw.get("ask")),
        last=dec(raw.get("last")),
        base_volume_24h=dec(raw.get("baseVolume")),
        quote_volume_24h=dec(raw.get("quoteVolume")),
        fetched_at=datetime.now(UTC),
    )


def parse_balance(raw: dict[str, Any]) -> dict[str, AssetBalance]:
    balances: dict[str, AssetBalance] = {}
    for asset, entry in raw.items():
        if asset in ("info", "free", "used", "total", "timestamp", "datetime", "debt"):
            continue
        if not isinstance(entry, dict):
            continue
        free, used = dec0(entry.get("free")), dec0(entry.get("used"))
        total = dec(entry.get("total"))
        balances[asset] = AssetBalance(
            asset, free, used, total if total is not None else free + used
        )
    return balances


def parse_trade(raw: dict[str, Any]) -> Trade:
    fee = raw.get("fee") or {}
    info = raw.get("info") or {}
    return Trade(
        trade_id=str(raw["id"]),
        order_id=str(raw["order"]) if raw.get("order") is not None else None,
        client_order_id=raw.get("clientOrderId") or info.get("clientOrderId"),
        symbol=raw["symbol"],
        side=OrderSide(raw["side"]),
        price=dec0(raw["price"]),
        amount=dec0(raw["amount"]),
        fee_amount=dec0(fee.get("cost")),
        fee_currency=fee.get("currency"),
        is_maker=(raw.get("takerOrMaker") == "maker") if raw.get("takerOrMaker") else None,
        traded_at=from_epoch(raw.get("timestamp")) or datetime.now(UTC),
    )


def parse_order(raw: dict[str, Any]) -> ExchangeOrder:
    # Fills embedded in an order answer (Binance FULL) lack what their order already says.
    inherited = {
        "symbol": raw["symbol"],
        "side": raw["side"],
        "order": raw["id"],
        "clientOrderId": raw.get("clientOrderId"),
    }
    trades = tuple(
        parse_trade({**trade, **{k: v for k, v in inherited.items() if trade.get(k) is None}})
        for trade in raw.get("trades") or []
        if trade.get("id") is not None
    )
    order_type = _order_type(raw)
    return ExchangeOrder(
        exchange_order_id=str(raw["id"]),
        client_order_id=raw.get("clientOrderId"),
        symbol=raw["symbol"],
        side=OrderSide(raw["side"]),
        type=order_type,
        status=VenueOrderStatus(raw.get("status") or "open"),
        amount=dec0(raw.get("amount")),
        filled=dec0(raw.get("filled")),
        price=dec(raw.get("price")),
        average_price=dec(raw.get("average")),
        created_at=from_epoch(raw.get("timestamp")),
        trades=trades,
        stop_price=dec(raw.get("triggerPrice") or raw.get("stopPrice"))
        if order_type.has_stop_price
        else None,
    )


# The venue's own type names where ccxt's unified type says less: ccxt calls a Binance
# STOP_LOSS_LIMIT leg a "limit" (its trigger price apart); a LIMIT_MAKER is our limit.
_VENUE_TYPES = {
    "STOP_LOSS_LIMIT": OrderType.STOP_LOSS_LIMIT,
    "TAKE_PROFIT_LIMIT": OrderType.TAKE_PROFIT_LIMIT,
    "LIMIT_MAKER": OrderType.LIMIT,
}


def _order_type(raw: dict[str, Any]) -> OrderType:
    info = raw.get("info")
    venue_type = info.get("type") or info.get("o") if isinstance(info, dict) else None
    if isinstance(venue_type, str) and venue_type in _VENUE_TYPES:
        return _VENUE_TYPES[venue_type]
    return OrderType(raw["type"]) if raw.get("type") in ("limit", "market") else OrderType.LIMIT


def parse_candle(row: list[Any]) -> Candle:
    """ccxt's OHLCV row: [open time in ms, open, high, low, close, volume]."""
    opened, open_, high, low, close, volume = row[:6]
    open_time = from_epoch(opened)
    if open_time is None:
        raise ValueError("candle without an open time")
    return Candle(
        open_time=open_time,
        open=_required(open_),
        high=_required(high),
        low=_required(low),
        close=_required(close),
        volume=dec0(volume),
    )


def _required(value: Any) -> Decimal:
    number = dec(value)
    if number is None:
        raise ValueError("candle without a price")
    return number
