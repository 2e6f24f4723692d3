"""Coinstore's answers → shared.exchange.types. Pure functions, no I/O.

Field names and meanings from the official documentation (coinstore-openapi.github.io);
where its tables and its examples disagree, the examples (real answers) win and the
comment says so. Amounts arrive as strings or as JSON numbers: the connector decodes
numbers as Decimal, never float, and everything here goes through `dec`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from shared.exchange.wire_numbers import ZERO, dec, dec0, from_epoch

# ordStatus / ordState (documented "Dictionary" → OrderState, and the order endpoints'
# enumerations). NOT_FOUND is the venue's "no such order": a lookup's None.
STATUSES: Mapping[str, VenueOrderStatus] = {
    "SUBMITTING": VenueOrderStatus.OPEN,
    "SUBMITTED": VenueOrderStatus.OPEN,
    "PARTIAL_FILLED": VenueOrderStatus.OPEN,
    "CANCELING": VenueOrderStatus.OPEN,  # not canceled until the venue says so
    "FILLED": VenueOrderStatus.CLOSED,
    "CANCELED": VenueOrderStatus.CANCELED,
    "REJECTED": VenueOrderStatus.REJECTED,
    "EXPIRED": VenueOrderStatus.EXPIRED,
    "STOPPED": VenueOrderStatus.EXPIRED,
}
NOT_FOUND = "NOT_FOUND"


class CoinstoreAnswerError(ValueError):
    """An answer that does not have the documented shape."""


def venue_symbol(symbol: str) -> str:
    """BTC/USDT → BTCUSDT: Coinstore's symbol codes are base + quote, no separator."""
    return symbol.replace("/", "").upper()


def _decimals_to_step(places: Any) -> Decimal:
    # tickSz / lotSz are decimal places, not step sizes: the documentation's table says
    # "Tick size, e.g. 0", and real answers pair tickSz 4 with minLmtPr "0.0001".
    return Decimal(1).scaleb(-int(places))


def parse_markets(rows: Sequence[Mapping[str, Any]]) -> dict[str, Market]:
    """POST /api/v2/public/config/spot/symbols → markets keyed by BASE/QUOTE."""
    markets: dict[str, Market] = {}
    for row in rows:
        base = str(row["tradeCurrencyCode"]).upper()  # real answers are often lower-case
        quote = str(row["quoteCurrencyCode"]).upper()
        symbol = f"{base}/{quote}"
        if venue_symbol(symbol) != str(row["symbolCode"]).upper():
            continue  # a code that is not base + quote: we could not address it
        markets[symbol] = Market(
            symbol=symbol,
            base=base,
            quote=quote,
            price_tick=_decimals_to_step(row["tickSz"]),
            amount_step=_decimals_to_step(row["lotSz"]),
            min_amount=dec(row.get("minLmtSz")),
            min_price=dec(row.get("minLmtPr")),
            # The only notional floor the venue publishes (documented for market orders).
            min_notional=dec(row.get("minMktVa")),
            active=bool(row.get("openTrade", True)),
        )
    return markets


def _levels(rows: Sequence[Sequence[Any]]) -> tuple[BookLevel, ...]:
    return tuple(BookLevel(dec0(row[0]), dec0(row[1])) for row in rows)


def parse_order_book(symbol: str, data: Mapping[str, Any], limit: int) -> OrderBook:
    """GET /api/v1/market/depth/{symbol}: `b` bids and `a` asks as [price, qty, side]."""
    return OrderBook(
        symbol=symbol,
        bids=_levels(data.get("b") or [])[:limit],
        asks=_levels(data.get("a") or [])[:limit],
        fetched_at=datetime.now(UTC),
    )


def parse_ticker(symbol: str, rows: Sequence[Mapping[str, Any]]) -> Ticker | None:
    """GET /api/v1/market/tickers (every symbol): ours, or None when it is missing."""
    code = venue_symbol(symbol)
    row = next((r for r in rows if str(r.get("symbol", "")).upper() == code), None)
    if row is None:
        return None
    return Ticker(
        symbol=symbol,
        bid=dec(row.get("bid")),
        ask=dec(row.get("ask")),
        last=dec(row.get("close")),
        # The table calls `volume` the quote volume and `amount` the base volume, but its
        # own example (volume 24121351.85, amount 1693799.1 at a price of 0.068) shows
        # the reverse: volume is base, amount is quote.
        base_volume_24h=dec(row.get("volume")),
        quote_volume_24h=dec(row.get("amount")),
        fetched_at=datetime.now(UTC),
    )


# accountList `type`: 1 available, 4 frozen (locked in orders).
AVAILABLE, FROZEN = 1, 4


def parse_balances(rows: Sequence[Mapping[str, Any]]) -> dict[str, AssetBalance]:
    """POST /api/spot/accountList: one row per (currency, type)."""
    free: dict[str, Decimal] = {}
    used: dict[str, Decimal] = {}
    for row in rows:
        asset = str(row["currency"]).upper()
        amount = dec0(row.get("balance"))
        kind = int(row.get("type", 0))
        free.setdefault(asset, ZERO)
        used.setdefault(asset, ZERO)
        if kind == AVAILABLE:
            free[asset] += amount
        elif kind == FROZEN:
            used[asset] += amount
    return {
        asset: AssetBalance(
            asset=asset, free=free[asset], used=used[asset], total=free[asset] + used[asset]
        )
        for asset in free
    }


def parse_order(symbol: str, row: Mapping[str, Any]) -> ExchangeOrder | None:
    """An order of orderInfo (v2) or active (v2); None for the venue's NOT_FOUND."""
    state = str(row.get("ordStatus") or row.get("ordState") or "")
    if state == NOT_FOUND:
        return None
    status = STATUSES.get(state)
    if status is None:
        raise CoinstoreAnswerError(f"unknown order status {state!r}")
    kind = OrderType.MARKET if row.get("ordType") == "MARKET" else OrderType.LIMIT
    filled = dec0(row.get("cumQty"))
    amount = dec(row.get("ordQty")) or ZERO
    if amount == 0 and kind is OrderType.MARKET:
        amount = filled  # a market buy is sized in quote (ordAmt): what it bought is its size
    average = dec(row.get("avgPrice"))
    if (average is None or average == 0) and filled > 0:
        average = dec0(row.get("cumAmt")) / filled
    price = dec(row.get("ordPrice"))
    return ExchangeOrder(
        exchange_order_id=str(row["ordId"]),
        client_order_id=str(row["clOrdId"]) if row.get("clOrdId") else None,
        symbol=symbol,
        side=OrderSide.BUY if str(row.get("side")).upper() == "BUY" else OrderSide.SELL,
        type=kind,
        status=status,
        amount=amount,
        filled=filled,
        price=price if price else None,
        average_price=average if average else None,
        created_at=from_epoch(row.get("timestamp")),
    )


def parse_trade(market: Market, row: Mapping[str, Any]) -> Trade:
    """GET /api/trade/match/accountMatches. `id` is this account's side of one match (a
    self-trade has two, with one tradeId): the fill's identity. Price = execAmt/execQty;
    the fee currency is an id, resolved by comparing it with the pair's own ids."""
    qty = dec0(row.get("execQty"))
    fee_currency_id = row.get("feeCurrencyId")
    fee_currency = None
    if fee_currency_id is not None and fee_currency_id == row.get("baseCurrencyId"):
        fee_currency = market.base
    elif fee_currency_id is not None and fee_currency_id == row.get("quoteCurrencyId"):
        fee_currency = market.quote
    role = row.get("matchRole")
    traded_at = from_epoch(row.get("matchTime"))
    return Trade(
        trade_id=str(row["id"]),
        order_id=str(row["orderId"]) if row.get("orderId") is not None else None,
        client_order_id=None,  # not in the answer; the pipeline matches by order id
        symbol=market.symbol,
        side=OrderSide.BUY if int(row.get("side", 0)) == 1 else OrderSide.SELL,
        price=dec0(row.get("execAmt")) / qty if qty else ZERO,
        amount=qty,
        fee_amount=dec0(row.get("fee")),
        fee_currency=fee_currency,
        is_maker=None if role is None else int(role) == -1,  # TAKER(1), MAKER(-1)
        traded_at=traded_at or datetime.now(UTC),
    )
