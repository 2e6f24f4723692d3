"""Market-data streams fed by the engine's book changes: bookTicker, diff and partial depth.

Stream names (lowercase symbol, as on Binance):

* ``<symbol>@bookTicker`` - best bid/ask, pushed when either changes.
* ``<symbol>@depth`` / ``<symbol>@depth@100ms`` - diff depth: the levels that changed
  since the previous event (qty 0 = level gone), with ``U`` = previous ``u`` + 1 and
  ``u`` = the book's update id, the same counter as ``GET /api/v3/depth``'s
  ``lastUpdateId``. A client that buffers events, takes a REST snapshot and applies the
  events after it (Binance's "manage a local order book" recipe, ccxt's
  ``watch_order_book``) ends up with the venue's book.
* ``<symbol>@depth<5|10|20>[@100ms]`` - the top levels, like a small REST snapshot;
  pushed on subscription and when the book changes.

Rates are bounded: a channel sends at most once per interval (1000 ms or 100 ms; the
book ticker once per event-loop turn), coalescing the changes in between. A channel
exists only while some connection subscribes to it; a diff channel records every
intermediate book (the engine publishes one BookUpdate per random-walk step), so a
level that moved away and back within one interval is still listed.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from paper_exchange.clock import now_ms
from paper_exchange.events import BookUpdate, VenueEvent
from paper_exchange.market import Level, Market, SymbolMarket
from paper_exchange.stream_shapes import book_ticker, depth_update, partial_depth
from paper_exchange.ws_connection import StreamConnection

_STREAM_RE = re.compile(r"^([a-z0-9]+)@(bookTicker|depth(5|10|20)?)(@100ms)?$")

Side = dict[Decimal, Decimal]  # price -> qty


@dataclass(frozen=True)
class MarketStream:
    name: str
    symbol: str
    channel: str  # "bookTicker" | "depth" | "partial"
    levels: int = 0
    interval_ms: int = 0


def parse_stream(name: str, symbols: Iterable[str]) -> MarketStream | None:
    """The stream a Binance stream name asks for, or None if it names no stream here."""
    match = _STREAM_RE.match(name)
    if match is None:
        return None
    symbol = match.group(1).upper()
    if symbol not in set(symbols):
        return None
    kind, levels, fast = match.group(2), match.group(3), match.group(4)
    if kind == "bookTicker":
        return None if fast else MarketStream(name, symbol, "bookTicker")
    interval = 100 if fast else 1000
    if levels:
        return MarketStream(name, symbol, "partial", int(levels), interval)
    return MarketStream(name, symbol, "depth", 0, interval)


def _sides(sm: SymbolMarket) -> tuple[Side, Side]:
    book = sm.book()
    return {lvl.price: lvl.qty for lvl in book.bids}, {lvl.price: lvl.qty for lvl in book.asks}


def _changed(before: Side, after: Side) -> set[Decimal]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


class _Channel:
    """One stream of one symbol: sends ``payload()`` to its subscribers, rate-bounded."""

    def __init__(self, feed: MarketFeed, stream: MarketStream) -> None:
        self.feed = feed
        self.stream = stream
        self._pending: asyncio.TimerHandle | None = None
        self._last_run = -math.inf

    def schedule(self) -> None:
        if self._pending is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_run + self.stream.interval_ms / 1000 - loop.time())
        self._pending = loop.call_later(delay, self._run)

    def _run(self) -> None:
        self._pending = None
        self._last_run = asyncio.get_running_loop().time()
        sm = self.feed.market.get(self.stream.symbol)
        payload = self.payload(sm) if sm is not None else None
        if payload is not None:
            self.feed.broadcast(self.stream.name, payload)

    def payload(self, sm: SymbolMarket) -> dict[str, Any] | None:
        raise NotImplementedError

    def cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None


class _BookTickerChannel(_Channel):
    def __init__(self, feed: MarketFeed, stream: MarketStream) -> None:
        super().__init__(feed, stream)
        self._last_top: tuple[str, ...] | None = None

    def payload(self, sm: SymbolMarket) -> dict[str, Any] | None:
        ticker = book_ticker(sm)
        top = (ticker["b"], ticker["B"], ticker["a"], ticker["A"])
        if top == self._last_top:
            return None
        self._last_top = top
        return ticker


class _DiffDepthChannel(_Channel):
    def __init__(self, feed: MarketFeed, stream: MarketStream, update_id: int) -> None:
        super().__init__(feed, stream)
        self._last_update_id = update_id
        self._touched_bids: set[Decimal] = set()
        self._touched_asks: set[Decimal] = set()

    def touch(self, bids: set[Decimal], asks: set[Decimal]) -> None:
        self._touched_bids |= bids
        self._touched_asks |= asks

    def payload(self, sm: SymbolMarket) -> dict[str, Any] | None:
        if sm.update_id <= self._last_update_id or not (self._touched_bids or self._touched_asks):
            return None  # U stays last u + 1, so skipping an empty change loses nothing
        bids, asks = _sides(sm)
        changed_bids = [Level(p, bids.get(p, Decimal(0))) for p in sorted(self._touched_bids)]
        changed_asks = [Level(p, asks.get(p, Decimal(0))) for p in sorted(self._touched_asks)]
        first = self._last_update_id + 1
        self._last_update_id = sm.update_id
        self._touched_bids, self._touched_asks = set(), set()
        return depth_update(
            sm.spec.symbol, first, sm.update_id, changed_bids[::-1], changed_asks, now_ms()
        )


class _PartialDepthChannel(_Channel):
    def payload(self, sm: SymbolMarket) -> dict[str, Any] | None:
        return partial_depth(sm, self.stream.levels)


class MarketFeed:
    def __init__(self, market: Market) -> None:
        self.market = market
        self._channels: dict[str, _Channel] = {}
        self._subscribers: dict[str, dict[StreamConnection, None]] = {}
        self._previous: dict[str, tuple[Side, Side]] = {}  # per symbol, for diff channels

    def subscribe(self, connection: StreamConnection, stream: MarketStream) -> None:
        if stream.name not in self._channels:
            self._channels[stream.name] = self._new_channel(stream)
        self._subscribers.setdefault(stream.name, {})[connection] = None
        if stream.channel == "partial":
            self._channels[stream.name].schedule()  # a first snapshot right away

    def _new_channel(self, stream: MarketStream) -> _Channel:
        sm = self.market.symbols[stream.symbol]
        if stream.channel == "bookTicker":
            return _BookTickerChannel(self, stream)
        if stream.channel == "partial":
            return _PartialDepthChannel(self, stream)
        if stream.symbol not in self._previous:
            self._previous[stream.symbol] = _sides(sm)
        # Starts at the current update id: the subscriber syncs with a REST snapshot.
        return _DiffDepthChannel(self, stream, sm.update_id)

    def unsubscribe(self, connection: StreamConnection, name: str) -> None:
        subscribers = self._subscribers.get(name)
        if subscribers is None:
            return
        subscribers.pop(connection, None)
        if subscribers:
            return
        del self._subscribers[name]
        channel = self._channels.pop(name)
        channel.cancel()
        symbol = channel.stream.symbol
        if not any(
            isinstance(c, _DiffDepthChannel) and c.stream.symbol == symbol
            for c in self._channels.values()
        ):
            self._previous.pop(symbol, None)

    def drop_connection(self, connection: StreamConnection) -> None:
        for name in [n for n, subs in self._subscribers.items() if connection in subs]:
            self.unsubscribe(connection, name)

    def broadcast(self, name: str, payload: dict[str, Any]) -> None:
        for connection in list(self._subscribers.get(name, {})):
            message = {"stream": name, "data": payload} if connection.combined else payload
            connection.push_event(message)

    def on_event(self, event: VenueEvent) -> None:
        if not isinstance(event, BookUpdate):
            return
        channels = [c for c in self._channels.values() if c.stream.symbol == event.symbol]
        if not channels:
            return
        sm = self.market.get(event.symbol)
        if sm is None:
            return
        previous = self._previous.get(event.symbol)
        if previous is not None:
            current = _sides(sm)
            bids, asks = _changed(previous[0], current[0]), _changed(previous[1], current[1])
            self._previous[event.symbol] = current
            for channel in channels:
                if isinstance(channel, _DiffDepthChannel):
                    channel.touch(bids, asks)
        for channel in channels:
            channel.schedule()

    def reset(self) -> None:
        for channel in self._channels.values():
            channel.cancel()
        self._channels.clear()
        self._subscribers.clear()
        self._previous.clear()
