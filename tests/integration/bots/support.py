"""Helpers for the bot tests: bots through the real lifecycle, ticks driven directly, the
worker drained until the order pipeline is quiet, and the venue's own books read back."""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from shared.bots import lifecycle
from shared.domain import BotKind
from shared.exchange.market_data import MarketDataCache
from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from worker.streams.books import BookFeeds

SYMBOL = "BTC/USDT"
VENUE_SYMBOL = "BTCUSDT"
VENUE_OPEN = ("NEW", "PARTIALLY_FILLED")


@pytest.fixture
async def bots(worker: WorkerHarness) -> WorkerHarness:
    """The worker with a market-data cache that never serves a book older than the test's
    last `set_mid` (the production cache keeps one for a second, a streamed book may lag
    a set_mid by a few ms), and ticks that read balances from the venue every time: the
    tests change balances at the venue between ticks with no stream running (a tick
    reading the stored snapshot is tested in test_tick_reads.py)."""
    worker.ctx.market_data = MarketDataCache(ttl_s=0)
    worker.ctx.book_feeds = BookFeeds(max_age_s=0)  # 0: no book streams, REST
    worker.ctx.settings = dataclasses.replace(worker.ctx.settings, balance_max_age_s=0)
    await worker.paper.set_mid(VENUE_SYMBOL, "60000")
    return worker


async def new_bot(
    worker: WorkerHarness,
    account: PaperAccount,
    config: dict[str, Any],
    *,
    kind: BotKind = BotKind.SPREAD,
    start: bool = True,
) -> tuple[UUID, UUID]:
    """(client_id, bot_id): a client with a credential for `account` and a bot on it."""
    client_id, credential_id = await worker.client_with_credential(account)
    async with worker.pool.connection() as conn:
        bot = await lifecycle.create_bot(
            conn, client_id=client_id, name=f"bot-{uuid.uuid4().hex[:6]}", kind=kind,
            credential_id=credential_id, symbol=SYMBOL, config=config,
        )  # fmt: skip
    if start:
        await start_bot(worker, client_id, bot.id)
    return client_id, bot.id


async def start_bot(worker: WorkerHarness, client_id: UUID, bot_id: UUID) -> None:
    async with worker.pool.connection() as conn:
        await lifecycle.start_bot(conn, worker.app, client_id=client_id, bot_id=bot_id)


async def pipeline_quiet(worker: WorkerHarness) -> bool:
    """No order on its way to the venue and no cancel waiting to be sent."""
    rows = await worker.fetch(
        """SELECT count(*) FROM orders
           WHERE status IN ('accepted', 'submitting', 'unknown')
              OR (cancel_requested_at IS NOT NULL AND status IN ('open', 'partially_filled'))"""
    )
    return int(rows[0][0]) == 0


async def settle(worker: WorkerHarness, within_s: float = 20) -> None:
    await worker.drain(lambda: pipeline_quiet(worker), within_s=within_s)


async def venue_open_orders(worker: WorkerHarness, account: PaperAccount) -> list[dict[str, Any]]:
    return [
        o
        for o in await worker.paper.orders(api_key=account.api_key, symbol=VENUE_SYMBOL)
        if o["status"] in VENUE_OPEN
    ]


async def venue_quotes(worker: WorkerHarness, account: PaperAccount) -> dict[str, list[Decimal]]:
    quotes: dict[str, list[Decimal]] = {"BUY": [], "SELL": []}
    for order in await venue_open_orders(worker, account):
        quotes[order["side"]].append(Decimal(order["price"]))
    return quotes


async def bot_row(worker: WorkerHarness, bot_id: UUID) -> dict[str, Any]:
    rows = await worker.fetch(
        "SELECT status, status_reason, tick_number, last_tick_at FROM bots WHERE id = %s", bot_id
    )
    return dict(
        zip(("status", "status_reason", "tick_number", "last_tick_at"), rows[0], strict=True)
    )


async def assert_stats_match_the_venue(
    worker: WorkerHarness, bot_id: UUID, account: PaperAccount, *, mid: Decimal
) -> None:
    """The bot's statistics (volume, position) equal what the venue's own trades of the
    account say, on any dialect: fills went in once each, whatever path brought them."""
    from shared.repositories.stats import bot_stats

    trades = [t for t in await worker.paper.trades(api_key=account.api_key)]
    assert trades, "the test must trade"
    async with worker.pool.connection() as conn:
        stats = (await bot_stats(conn, bot_id, mid=mid)).symbol("BTC/USDT")
    buys = [t for t in trades if t["isBuyer"]]
    sells = [t for t in trades if not t["isBuyer"]]

    def base(side: list[dict[str, Any]]) -> Decimal:
        return sum((Decimal(t["qty"]) for t in side), Decimal(0))

    def quote(side: list[dict[str, Any]]) -> Decimal:
        return sum((Decimal(t["price"]) * Decimal(t["qty"]) for t in side), Decimal(0))

    volume = stats.volume_all_time
    assert (volume.buy_count, volume.sell_count) == (len(buys), len(sells))
    assert (volume.buy_base, volume.sell_base) == (base(buys), base(sells))
    assert (volume.buy_quote, volume.sell_quote) == (quote(buys), quote(sells))
    assert stats.position.net_amount == base(buys) - base(sells)
