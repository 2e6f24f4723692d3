"""BitMart's JSON payloads → the exchange layer's typed, Decimal values.

Field names and meanings follow BitMart's spot API docs (developer-pro.bitmart.com/en/spot):
symbols details (v1), books and ticker (quotation v3), spot wallet (v1), orders and trades
(v4 queries). Amounts arrive as strings and are read as Decimal, never float.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from shared.domain import OrderSide, OrderType
from shared.exchange.types import (
    AssetBalance,
    BookLevel,
    ExchangeOrder,
    Market,
    OrderBook,
    Ticker,
    Trade,
    VenueOrderStatus,
)
from shared.exchange.wire_numbers import dec, dec0, from_epoch

# v4 `state` → the unified status. A canceled order is CANCELED when the user canceled
# it and EXPIRED when BitMart did (`cancelSource` "system": an ioc or market remainder,
# or "stp": self-trade prevention), as Binance reports those.
_OPEN_STATES = frozenset({"new", "partially_filled"})
_CANCELED_STATES = frozenset({"canceled", "partially_canceled"})


def venue_symbol(symbol: str) -> str:
    """ "BTC/USDT" → "BTC_USDT"."""
    return symbol.replace("/", "_")


def our_symbol(symbol: str) -> str:
    """ "BTC_USDT" → "BTC/USDT" (BitMart joins base and quote with one underscore)."""
    base, _, quote = symbol.rpartition("_")
    return f"{base}/{quote}" if base else symbol


def parse_market(raw: Mapping[str, Any]) -> Market:
    """One entry of GET /spot/v1/symbols/details.

    `base_min_size` is both the minimum and the step of an order's size; the docs' text for
    `quote_increment` is ambiguous (price or size increment), so it is not relied on. The
    price tick is `price_max_precision` decimals. The minimum notional is the larger of the
    buy and sell minimums, so one rule holds for both sides.
    """
    min_size = dec(raw.get("base_min_size"))
    if min_size is None or min_size <= 0:
        raise ValueError(f"market {raw.get('symbol')} has no base_min_size")
    notionals = [d for d in (dec(raw.get("min_buy_amount")), dec(raw.get("min_sell_amount"))) if d]
    return Market(
        symbol=our_symbol(str(raw["symbol"])),
        base=str(raw["base_currency"]),
        quote=str(raw["quote_currency"]),
        price_tick=Decimal(1).scaleb(-int(raw["price_max_precision"])),
        amount_step=min_size,
        min_amount=min_size,
        max_amount=dec(raw.get("base_max_size")),
        min_notional=max(notionals) if notionals else None,
        active=raw.get("trade_status", "trading") == "trading",
    )


def _levels(raw: Any) -> tuple[BookLevel, ...]:
    return tuple(BookLevel(Decimal(str(p)), Decimal(str(a))) for p, a, *_ in raw or ())


def parse_order_book(symbol: str, raw: Mapping[str, Any]) -> OrderBook:
    """GET /spot/quotation/v3/books: bids best (highest) first, asks best (lowest) first."""
    return OrderBook(
        symbol=symbol,
        bids=_levels(raw.get("bids")),
        asks=_levels(raw.get("asks")),
        fetched_at=from_epoch(raw.get("ts")) or datetime.now(UTC),
    )


def parse_ticker(symbol: str, raw: Mapping[str, Any]) -> Ticker:
    """GET /spot/quotation/v3/ticker."""
    return Ticker(
        symbol=symbol,
        bid=dec(raw.get("bid_px")),
        ask=dec(raw.get("ask_px")),
        last=dec(raw.get("last")),
        base_volume_24h=dec(raw.get("v_24h")),
        quote_volume_24h=dec(raw.get("qv_24h")),
        fetched_at=from_epoch(raw.get("ts")) or datetime.now(UTC),
    )


def parse_balance(raw: Any) -> dict[str, AssetBalance]:
    """GET /spot/v1/wallet: `available` is free, `frozen` is held by open orders. A payload
    without its wallet list is an error, never an empty (all-zero) balance."""
    wallet = raw.get("wallet") if isinstance(raw, Mapping) else None
    if not isinstance(wallet, list):
        raise ValueError("the wallet answer has no wallet list")
    balances: dict[str, AssetBalance] = {}
    for entry in wallet:
        asset = str(entry.get("id") or entry["currency"])
        free, used = dec0(entry.get("available")), dec0(entry.get("frozen"))
        balances[asset] = AssetBalance(asset, free, used, free + used)
    return balances


def _status(raw: Mapping[str, Any]) -> VenueOrderStatus:
    state = str(raw.get("state", ""))
    if state in _OPEN_STATES:
        return VenueOrderStatus.OPEN
    if state == "filled":
        return VenueOrderStatus.CLOSED
    if state in _CANCELED_STATES:
        source = raw.get("cancelSource") or "user"
        return VenueOrderStatus.CANCELED if source == "user" else VenueOrderStatus.EXPIRED
    raise ValueError(f"unknown BitMart order state {state!r}")


def parse_order(raw: Mapping[str, Any]) -> ExchangeOrder:
    """One v4 order (query/order, query/client-order, query/open-orders)."""
    order_type = OrderType.MARKET if raw.get("type") == "market" else OrderType.LIMIT
    filled = dec0(raw.get("filledSize"))
    amount = dec0(raw.get("size"))
    if amount == 0 and order_type is OrderType.MARKET:
        amount = filled  # a market buy is sized by its notional, not by size
    price = dec(raw.get("price"))
    average = dec(raw.get("priceAvg"))
    return ExchangeOrder(
        exchange_order_id=str(raw["orderId"]),
        client_order_id=raw.get("clientOrderId") or None,
        symbol=our_symbol(str(raw["symbol"])),
        side=OrderSide(raw["side"]),
        type=order_type,
        status=_status(raw),
        amount=amount,
        filled=filled,
        price=price if price else None,
        average_price=average if average and filled > 0 else None,
        created_at=from_epoch(raw.get("createTime")),
    )


def parse_trade(raw: Mapping[str, Any]) -> Trade:
    """One v4 trade (query/order-trades, query/trades)."""
    role = raw.get("tradeRole")
    return Trade(
        trade_id=str(raw["tradeId"]),
        order_id=str(raw["orderId"]) if raw.get("orderId") is not None else None,
        client_order_id=raw.get("clientOrderId") or None,
        symbol=our_symbol(str(raw["symbol"])),
        side=OrderSide(raw["side"]),
        price=Decimal(str(raw["price"])),
        amount=Decimal(str(raw["size"])),
        fee_amount=dec0(raw.get("fee")),
        fee_currency=raw.get("feeCoinName") or None,
        is_maker=None if role is None else role == "maker",
        traded_at=from_epoch(raw.get("createTime")) or datetime.now(UTC),
    )
