"""User-data and book streams over ccxt.pro (shipped in the ccxt package).

Each stream instance owns one ccxt.pro client, so a reconnect is a new instance and
nothing of a broken connection's state (subscriptions, caches) carries over. The client
borrows the REST client's markets: subscribing costs no exchangeInfo call.

ccxt.pro's watch_* return what arrived since the previous call (its `newUpdates`
mode): orders from its cache by id (each order's latest state), trades by trade id
(each once), and the balance it keeps merged from the venue's balance events.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
import ccxt
import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro
import structlog

from shared.exchange.ccxt_parsing import parse_balance, parse_order, parse_order_book, parse_trade
from shared.exchange.errors import TransientExchangeError, classify_ccxt_error
from shared.exchange.streams import BalanceUpdate
from shared.exchange.types import ExchangeOrder, OrderBook, Trade

T = TypeVar("T")
log = structlog.get_logger(__name__)

# How often the client pings, and how many pongs it may miss before it calls the
# connection dead: a stalled stream is noticed within about keepAlive x misses.
KEEPALIVE_MS = 2_000
MAX_PONG_MISSES = 2


def pro_client_class(venue: str) -> type[ccxt_pro.Exchange] | None:
    klass = getattr(ccxt_pro, venue, None)
    return klass if isinstance(klass, type) and issubclass(klass, ccxt_pro.Exchange) else None


def tune_keepalive(client: ccxt_pro.Exchange) -> None:
    client.streaming = {
        **client.streaming,
        "keepAlive": KEEPALIVE_MS,
        "maxPingPongMisses": MAX_PONG_MISSES,
    }


class _CcxtStream:
    def __init__(self, client: ccxt_pro.Exchange, *, venue: str, rest: ccxt_async.Exchange):
        self.client = client
        self.venue = venue
        self._rest = rest

    async def _guard(self, call: Awaitable[T]) -> T:
        """The stream's errors as the project's error classes, like REST calls."""
        try:
            return await call
        except ccxt.BaseError as exc:
            raise classify_ccxt_error(exc, sends_order=False, venue=self.venue) from None
        except (aiohttp.ClientError, ConnectionError, OSError) as exc:
            raise TransientExchangeError(
                f"{self.venue} stream: {type(exc).__name__}: {exc}", reason="network"
            ) from None

    async def _borrow_markets(self) -> None:
        if self.client.markets:
            return
        if not self._rest.markets:
            await self._guard(self._rest.load_markets())
        self.client.set_markets(self._rest.markets, self._rest.currencies)

    async def close(self) -> None:
        # A close must not hang a shutdown on a dead peer.
        with contextlib.suppress(TimeoutError, ccxt.BaseError, aiohttp.ClientError, OSError):
            await asyncio.wait_for(self.client.close(), timeout=5)


class CcxtUserStream(_CcxtStream):
    """shared.exchange.streams.UserStream over ccxt.pro.

    ccxt.pro resolves a waiting watch_* with the first event of a burst; the events after
    it land in its caches with nobody waiting, and a later watch_* would wait for the
    next burst. So each next_* first returns what the cache holds that it has not handed
    out (orders whose state changed, trades not seen, assets that changed) and only waits
    when there is nothing.
    """

    def __init__(self, client: ccxt_pro.Exchange, *, venue: str, rest: ccxt_async.Exchange):
        super().__init__(client, venue=venue, rest=rest)
        self._order_states: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._trades_seen: set[tuple[str, str]] = set()
        self._balances_seen: dict[str, tuple[Any, ...]] = {}

    async def subscribe(self) -> None:
        await self._borrow_markets()
        # Binance spot: the WebSocket API's userDataStream.subscribe.signature; ccxt's
        # watch_* reuse the subscription.
        try:
            await self._guard(self.client.authenticate())
        except KeyError as exc:
            # ccxt 4.5 turns a refused subscription into KeyError('spot') raised while it
            # cleans up; the venue's refusal is the exception's context.
            refusal = exc.__context__
            if isinstance(refusal, ccxt.BaseError):
                raise classify_ccxt_error(refusal, sends_order=False, venue=self.venue) from None
            raise

    async def next_orders(self) -> list[ExchangeOrder]:
        while True:
            changed = self._changed_orders()
            if changed:
                return changed
            await self._guard(self.client.watch_orders())

    async def next_balances(self) -> BalanceUpdate:
        while True:
            update = self._changed_balances()
            if update is not None:
                return update
            await self._guard(self.client.watch_balance())

    def _changed_orders(self) -> list[ExchangeOrder]:
        """Orders whose state changed since the last call, each with the trades that
        arrived for it since then: a status and the fills behind it are written together
        (one event carries both: ccxt caches the trade, then the order)."""
        # Venue order ids are unique per symbol only (Binance's are): key by both.
        new_trades: dict[tuple[str, str], list[Trade]] = {}
        for trade in self._new_trades():
            new_trades.setdefault((trade.symbol, trade.order_id or ""), []).append(trade)
        cached: list[dict[str, Any]] = list(self.client.orders or [])
        changed = []
        for raw in cached:
            key = (str(raw.get("symbol")), str(raw.get("id")))
            state = (raw.get("status"), raw.get("filled"), raw.get("clientOrderId"))
            trades = new_trades.pop(key, [])
            if self._order_states.get(key) != state or trades:
                self._order_states[key] = state
                order = parse_order(raw)
                changed.append(dataclasses.replace(order, trades=(*order.trades, *trades)))
        _forget_all_but(
            self._order_states, {(str(raw.get("symbol")), str(raw.get("id"))) for raw in cached}
        )
        for order_id, orphans in new_trades.items():
            # Its order left ccxt's cache (a long gap): the REST gap close fetches them.
            log.warning("stream trades without their order", order=order_id, trades=len(orphans))
        return changed

    def _new_trades(self) -> list[Trade]:
        cached: list[dict[str, Any]] = list(self.client.myTrades or [])
        new = [raw for raw in cached if _trade_key(raw) not in self._trades_seen]
        # Only ids ccxt still caches can come back: the seen set stays as small as its cache.
        self._trades_seen = {_trade_key(raw) for raw in cached}
        return [_trade_with_client_id(raw) for raw in new]

    def _changed_balances(self) -> BalanceUpdate | None:
        raw: dict[str, Any] = (getattr(self.client, "balance", None) or {}).get("spot") or {}
        assets = parse_balance(raw)
        changed = {
            asset: balance
            for asset, balance in assets.items()
            if self._balances_seen.get(asset) != (balance.free, balance.used, balance.total)
        }
        if not changed:
            return None
        for asset, balance in changed.items():
            self._balances_seen[asset] = (balance.free, balance.used, balance.total)
        stamp = raw.get("timestamp")
        at = (
            datetime.fromtimestamp(stamp / 1000, UTC)
            if isinstance(stamp, int | float)
            else datetime.now(UTC)
        )
        return BalanceUpdate(changed, at)


def _trade_key(raw: dict[str, Any]) -> tuple[str, str]:
    """Trade ids, like order ids, are unique per symbol only."""
    return (str(raw.get("symbol")), str(raw.get("id")))


def _forget_all_but(
    states: dict[tuple[str, str], tuple[Any, ...]], keep: set[tuple[str, str]]
) -> None:
    for key in [key for key in states if key not in keep]:
        del states[key]


def _trade_with_client_id(raw: dict[str, Any]) -> Trade:
    trade = parse_trade(raw)
    if trade.client_order_id is not None:
        return trade
    info = raw.get("info") or {}
    client_order_id = info.get("c")  # Binance's executionReport names it `c`
    if not client_order_id:
        return trade
    return Trade(
        trade_id=trade.trade_id,
        order_id=trade.order_id,
        client_order_id=str(client_order_id),
        symbol=trade.symbol,
        side=trade.side,
        price=trade.price,
        amount=trade.amount,
        fee_amount=trade.fee_amount,
        fee_currency=trade.fee_currency,
        is_maker=trade.is_maker,
        traded_at=trade.traded_at,
    )


class CcxtBookStream(_CcxtStream):
    """shared.exchange.streams.BookStream over ccxt.pro's best bid/ask stream."""

    async def next_book(self, symbol: str) -> OrderBook:
        await self._borrow_markets()
        tickers: dict[str, Any] = await self._guard(self.client.watch_bids_asks([symbol]))
        # The newest top of book ccxt holds: updates after the one that woke us (a burst)
        # are in its cache, not in what the watch returned.
        raw = (
            (getattr(self.client, "bidsasks", None) or {}).get(symbol) or tickers.get(symbol) or {}
        )
        bid, ask = raw.get("bid"), raw.get("ask")
        book = {
            "bids": [[bid, raw.get("bidVolume") or 0]] if bid is not None else [],
            "asks": [[ask, raw.get("askVolume") or 0]] if ask is not None else [],
        }
        return parse_order_book(symbol, book)

    async def forget(self, symbol: str) -> None:
        unwatch = getattr(self.client, "un_watch_bids_asks", None)
        if unwatch is not None:
            await self._guard(unwatch([symbol]))
