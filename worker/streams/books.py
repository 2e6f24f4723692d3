"""Best bid/ask per (venue endpoint, symbol) from market streams, shared by every bot
tick of the process.

A tick asks `fresh_book`: the streamed book if one arrived within the age bound, else
None and the tick reads REST (shared.exchange.market_data). The first ask for a symbol
subscribes it (that tick still reads REST); a symbol no tick asked for lately is
unsubscribed. A stream that breaks is rebuilt with a growing pause; meanwhile its book
ages past the bound and REST serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from shared.exchange.errors import ExchangeCallError
from shared.exchange.market_data import MarketDataCache
from shared.exchange.protocol import ExchangeAdapter
from shared.exchange.streams import BookStream
from shared.exchange.types import OrderBook
from shared.metrics import STREAM_EVENTS, STREAM_RECONNECTS

log = structlog.get_logger(__name__)

IDLE_AFTER_S = 120.0  # unsubscribe a symbol no tick asked for this long
FIRST_PAUSE_S = 0.5
MAX_PAUSE_S = 30.0


@dataclass
class _Feed:
    adapter: ExchangeAdapter
    symbol: str
    latest: OrderBook | None = None
    received: int = 0
    last_asked: float = field(default_factory=time.monotonic)
    task: asyncio.Task[None] | None = None


class BookFeeds:
    def __init__(self, max_age_s: float, idle_after_s: float = IDLE_AFTER_S) -> None:
        self.max_age_s = max_age_s
        self.idle_after_s = idle_after_s
        self._feeds: dict[tuple[str, str, str], _Feed] = {}

    def fresh_book(self, adapter: ExchangeAdapter, symbol: str) -> OrderBook | None:
        """The streamed book of `symbol` if it is younger than the bound, else None. A
        bound of 0 turns book streams off (REST serves every tick)."""
        if self.max_age_s <= 0:
            return None
        self._drop_idle()
        key = (adapter.venue, adapter.host, symbol)
        feed = self._feeds.get(key)
        if feed is None:
            feed = self._feeds[key] = _Feed(adapter, symbol)
            feed.task = asyncio.create_task(self._follow(feed), name=f"book:{key}")
        feed.last_asked = time.monotonic()
        book = feed.latest
        if book is None:
            return None
        age_s = (datetime.now(UTC) - book.fetched_at).total_seconds()
        return book if age_s <= self.max_age_s else None

    async def book(
        self, adapter: ExchangeAdapter, symbol: str, *, rest: MarketDataCache
    ) -> OrderBook:
        """The streamed book when it is fresh, else REST through the process's shared
        cache (one request per symbol a second at most)."""
        return self.fresh_book(adapter, symbol) or await rest.order_book(adapter, symbol)

    @property
    def symbols(self) -> int:
        return len(self._feeds)

    async def _follow(self, feed: _Feed) -> None:
        pause = FIRST_PAUSE_S
        while True:
            stream = feed.adapter.book_stream()
            if stream is None:
                return  # the venue has no book stream: REST serves every ask
            received_before = feed.received
            try:
                await self._pump(feed, stream)
            except ExchangeCallError as exc:
                log.warning("book stream down; REST serves", symbol=feed.symbol, reason=exc.reason)
                STREAM_RECONNECTS.labels(feed.adapter.venue, "book").inc()
            finally:
                await stream.close()
            # A stream that delivered before it broke is retried soon; one that keeps
            # failing at once, ever more slowly.
            pause = (
                FIRST_PAUSE_S if feed.received > received_before else min(pause * 2, MAX_PAUSE_S)
            )
            await asyncio.sleep(pause)

    async def _pump(self, feed: _Feed, stream: BookStream) -> None:
        while True:
            feed.latest = await stream.next_book(feed.symbol)
            feed.received += 1
            STREAM_EVENTS.labels(feed.adapter.venue, "book").inc()

    def _drop_idle(self) -> None:
        now = time.monotonic()
        for key, feed in list(self._feeds.items()):
            if now - feed.last_asked > self.idle_after_s and feed.task is not None:
                feed.task.cancel()  # its `finally` closes the stream
                del self._feeds[key]

    async def close(self) -> None:
        feeds, self._feeds = list(self._feeds.values()), {}
        for feed in feeds:
            if feed.task is not None:
                feed.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await feed.task
