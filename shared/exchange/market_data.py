"""Order books and tickers fetched once per venue endpoint and symbol per short interval,
and shared by every bot in the process: a thousand bots on BTC/USDT cost one request
per interval, not a thousand. Concurrent askers share one in-flight request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from shared.exchange.protocol import ExchangeAdapter
from shared.exchange.types import OrderBook, Ticker

T = TypeVar("T")


class MarketDataCache:
    def __init__(self, ttl_s: float = 1.0) -> None:
        self.ttl_s = ttl_s
        self._values: dict[tuple[str, ...], tuple[float, object]] = {}
        self._in_flight: dict[tuple[str, ...], asyncio.Future[object]] = {}
        self.fetches = 0  # requests actually made, for metrics and tests

    async def _get(self, key: tuple[str, ...], fetch: Callable[[], Awaitable[T]]) -> T:
        cached = self._values.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.ttl_s:
            return cached[1]  # type: ignore[return-value]
        pending = self._in_flight.get(key)
        if pending is not None:
            shared_value: T = await asyncio.shield(pending)  # type: ignore[arg-type]
            return shared_value
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            self.fetches += 1
            value = await fetch()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: a lone asker must not log "never retrieved"
            raise
        else:
            self._values[key] = (time.monotonic(), value)
            future.set_result(value)
            return value
        finally:
            del self._in_flight[key]

    async def order_book(self, adapter: ExchangeAdapter, symbol: str, limit: int = 20) -> OrderBook:
        key = ("book", adapter.venue, adapter.host, symbol, str(limit))
        return await self._get(key, lambda: adapter.fetch_order_book(symbol, limit))

    async def ticker(self, adapter: ExchangeAdapter, symbol: str) -> Ticker:
        key = ("ticker", adapter.venue, adapter.host, symbol)
        return await self._get(key, lambda: adapter.fetch_ticker(symbol))
