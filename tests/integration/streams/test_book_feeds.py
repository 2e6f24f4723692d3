"""Books from market streams, shared by the process's ticks: the first ask subscribes
(and gets None: that tick reads REST), later asks get the streamed top of book, which
follows the venue; a stream that drops leaves no stale book in use, and comes back."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D

from shared.domain import CredentialEnvironment
from shared.exchange.types import OrderBook
from tests.fixtures.fix_worker import WorkerHarness
from worker.streams.books import BookFeeds

SYMBOL = "SOL/USDT"
VENUE_SYMBOL = "SOLUSDT"


async def _venue_top(worker: WorkerHarness) -> tuple[D, D]:
    market = await worker.paper.market(VENUE_SYMBOL)
    return D(str(market["bestBid"])), D(str(market["bestAsk"]))


async def test_a_streamed_book_follows_the_venue_and_is_never_used_stale(
    worker: WorkerHarness,
) -> None:
    public = worker.ctx.adapters.public("binance", CredentialEnvironment.PAPER)
    feeds = BookFeeds(max_age_s=1.0)
    try:
        await worker.paper.set_mid(VENUE_SYMBOL, "150")
        assert feeds.fresh_book(public, SYMBOL) is None  # subscribes; this ask reads REST
        latest: list[OrderBook] = []

        def matches(top: tuple[D, D]) -> bool:
            book = feeds.fresh_book(public, SYMBOL)
            if book is None:
                return False
            latest[:] = [book]
            return (book.bids[0].price, book.asks[0].price) == top

        async def at(mid: str, within_s: float = 5) -> int:
            """Move the venue to `mid` until the streamed book shows it; how many moves it
            took. A quiet market pushes nothing (as on Binance), and a move
            made before a (re)subscription is in place is never seen: move again."""
            deadline = time.monotonic() + within_s
            moves = 0
            while time.monotonic() < deadline:
                moves += 1
                await worker.paper.set_mid(VENUE_SYMBOL, str(D(mid) + D("0.01")))
                await worker.paper.set_mid(VENUE_SYMBOL, mid)
                moved = time.monotonic()
                top = await _venue_top(worker)
                while time.monotonic() - moved < 0.5:
                    if matches(top):
                        return moves
                    await asyncio.sleep(0.01)
            raise AssertionError(f"streamed book never showed mid {mid}: {latest}")

        await at("150.5")
        started = time.monotonic()
        await at("151.5")
        follow_s = time.monotonic() - started
        assert feeds.symbols == 1
        assert follow_s < 2, follow_s

        # The market stream stalls: no update arrives, and once the last one is older than
        # the bound the book is not handed out (the tick reads REST).
        await worker.paper.admin(
            "POST", "/faults", json={"kind": "stream_stall", "stream": "market", "stall_s": 30}
        )
        await worker.paper.set_mid(VENUE_SYMBOL, "149")
        await asyncio.sleep(1.3)
        assert feeds.fresh_book(public, SYMBOL) is None
        await worker.paper.clear_faults()
        await at("148", within_s=15)  # the feed reconnected (the stall broke its keepalive)
    finally:
        await feeds.close()


async def test_a_symbol_no_tick_asks_for_is_unsubscribed(worker: WorkerHarness) -> None:
    public = worker.ctx.adapters.public("binance", CredentialEnvironment.PAPER)
    feeds = BookFeeds(max_age_s=1.0, idle_after_s=0.2)
    try:
        feeds.fresh_book(public, SYMBOL)
        assert feeds.symbols == 1
        await asyncio.sleep(0.3)
        feeds.fresh_book(public, "BTC/USDT")  # any ask drops the idle ones
        assert feeds.symbols == 1
    finally:
        await feeds.close()


async def test_book_streams_off_reads_rest_only(worker: WorkerHarness) -> None:
    public = worker.ctx.adapters.public("binance", CredentialEnvironment.PAPER)
    feeds = BookFeeds(max_age_s=0)
    assert feeds.fresh_book(public, SYMBOL) is None
    assert feeds.symbols == 0
