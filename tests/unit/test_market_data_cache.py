from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from shared.exchange.market_data import MarketDataCache
from shared.exchange.types import BookLevel, OrderBook


@dataclass
class SlowVenue:
    venue: str = "binance"
    host: str = "paper"
    calls: int = 0
    fail: bool = False

    async def fetch_order_book(self, symbol: str, limit: int = 20) -> OrderBook:
        self.calls += 1
        await asyncio.sleep(0.02)
        if self.fail:
            raise RuntimeError("venue down")
        level = BookLevel(Decimal(self.calls), Decimal(1))
        return OrderBook(symbol, (level,), (level,), datetime.now(UTC))


async def test_concurrent_askers_share_one_request_until_the_ttl_passes() -> None:
    cache, venue = MarketDataCache(ttl_s=0.1), SlowVenue()
    books = await asyncio.gather(*(cache.order_book(venue, "BTC/USDT") for _ in range(100)))  # type: ignore[arg-type]
    assert venue.calls == 1
    assert len({id(book) for book in books}) == 1
    await cache.order_book(venue, "ETH/USDT")  # type: ignore[arg-type]
    assert venue.calls == 2
    await asyncio.sleep(0.12)
    fresh = await cache.order_book(venue, "BTC/USDT")  # type: ignore[arg-type]
    assert venue.calls == 3
    assert fresh.bids[0].price == Decimal(3)


async def test_failures_reach_every_asker_and_are_not_cached() -> None:
    cache, venue = MarketDataCache(ttl_s=10), SlowVenue(fail=True)
    results = await asyncio.gather(
        *(cache.order_book(venue, "BTC/USDT") for _ in range(5)),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    assert venue.calls == 1  # five askers, one failed request
    venue.fail = False
    book = await cache.order_book(venue, "BTC/USDT")  # type: ignore[arg-type]
    assert book.bids
    assert venue.calls == 2  # the failure was not cached
