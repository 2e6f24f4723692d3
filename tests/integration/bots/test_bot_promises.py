"""What a bot's config promises, kept while the venue misbehaves: never more than `levels`
quotes per side at the venue (a requote waits for its cancels), a stop takes the quotes
off at once, and a volume bot says why it trades one side only."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter
from decimal import Decimal as D
from typing import Any
from uuid import UUID

from shared.domain import BotKind
from shared.exchange.breaker import BreakerRegistry
from shared.repositories.clients import issue_api_token
from tests.fixtures.fix_web import WebServer
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.bots.support import (
    VENUE_SYMBOL,
    new_bot,
    settle,
    venue_open_orders,
    venue_quotes,
)
from worker.bots.tick import run_tick

TWO_LEVELS: dict[str, Any] = {
    "spread_bps": "20", "order_size": "0.01", "levels": 2, "refresh_interval_s": 3600,
}  # fmt: skip


class VenueWatch:
    """Polls the venue's own open orders of one account in the background and keeps the
    most it ever saw resting per side."""

    def __init__(self, worker: WorkerHarness, api_key: str) -> None:
        self.worker = worker
        self.api_key = api_key
        self.most: Counter[str] = Counter()
        self.polls = 0

    async def run(self) -> None:
        while True:
            orders = await self.worker.paper.orders(api_key=self.api_key, symbol=VENUE_SYMBOL)
            live = Counter(o["side"] for o in orders if o["status"] in ("NEW", "PARTIALLY_FILLED"))
            for side, count in live.items():
                self.most[side] = max(self.most[side], count)
            self.polls += 1
            await asyncio.sleep(0.02)


async def test_a_requote_never_doubles_the_book_while_cancels_fail(bots: WorkerHarness) -> None:
    # A breaker that never opens: every requote tick reads the venue and decides (with the
    # default one, the failing cancels open it and the ticks skip for that reason instead).
    bots.ctx.adapters.breakers = BreakerRegistry(fail_max=1_000_000)
    account = await bots.paper.create_account({"BTC": "1", "USDT": "60000"})
    _, bot_id = await new_bot(bots, account, TWO_LEVELS)
    await settle(bots)
    assert {side: len(p) for side, p in (await venue_quotes(bots, account)).items()} == {
        "BUY": 2, "SELL": 2,
    }  # fmt: skip

    watch = VenueWatch(bots, account.api_key)
    watcher = asyncio.create_task(watch.run())
    try:
        await bots.paper.inject_fault(
            "http_503", "/api/v3/order", "DELETE", times=10_000, api_key=account.api_key
        )
        requotes = []
        # Every quote drifts (> 5 bps from where it should be), none is crossed.
        for mid in ("60040", "59960", "60045"):
            await bots.paper.set_mid(VENUE_SYMBOL, mid)
            requotes.append(await run_tick(bots.ctx, bot_id))
            # Let the place and cancel jobs run (and the cancels fail) for a while.
            with contextlib.suppress(AssertionError):
                await bots.drain(lambda: _false(), within_s=1.5)
        assert max(watch.most.values()) <= 2, watch.most
        assert len(await venue_open_orders(bots, account)) == 4  # nothing could be canceled
        for report in requotes:  # each side waited for its cancels, and said so
            assert report.placed == 0, report
            assert any("bid side waits" in s for s in report.skips), report.skips
            assert any("ask side waits" in s for s in report.skips), report.skips

        await bots.paper.clear_faults(api_key=account.api_key)
        await settle(bots, within_s=30)  # the cancels go through now
        assert await venue_open_orders(bots, account) == []
        report = await run_tick(bots.ctx, bot_id)
        assert report.placed == 4, report
        await settle(bots)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        await bots.paper.clear_faults(api_key=account.api_key)

    quotes = await venue_quotes(bots, account)
    assert sorted(quotes["BUY"]) == [D("59924.91"), D("59984.95")], quotes  # around 60045
    assert sorted(quotes["SELL"]) == [D("60105.05"), D("60165.09")], quotes
    assert watch.polls > 20
    assert max(watch.most.values()) <= 2, watch.most


async def _false() -> bool:
    return False


async def test_stop_cancels_the_quotes_at_once(bots: WorkerHarness, web: WebServer) -> None:
    account = await bots.paper.create_account({"BTC": "1", "USDT": "60000"})
    client_id, bot_id = await new_bot(bots, account, TWO_LEVELS)  # refresh every hour
    await settle(bots)
    assert len(await venue_open_orders(bots, account)) == 4

    async with bots.pool.connection() as conn:
        token = (await issue_api_token(conn, client_id, "test")).token
    async with web.http(token) as http:
        response = await http.post(f"/v1/bots/{bot_id}/stop")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "stopped"
    # Committed with the stop: every live order carries its cancel intent and its job.
    rows = await bots.fetch(
        """SELECT count(*) FILTER (WHERE cancel_requested_at IS NULL),
                  count(*) FILTER (WHERE EXISTS (
                      SELECT 1 FROM procrastinate_jobs j
                      WHERE j.task_name = 'cancel_order' AND j.args ->> 'order_id' = o.id::text))
           FROM orders o
           WHERE bot_id = %s AND status IN ('open', 'partially_filled')""",
        bot_id,
    )
    assert rows == [(0, 4)]
    loop = asyncio.get_running_loop()
    started = loop.time()
    await settle(bots, within_s=5)  # the cancel jobs only: no tick comes due for an hour
    assert await venue_open_orders(bots, account) == []
    assert loop.time() - started < 5

    async with web.http(token) as http:  # stopping again is a no-op
        again = await http.post(f"/v1/bots/{bot_id}/stop")
    assert again.status_code == 200, again.text


async def test_a_volume_bot_says_why_it_only_buys(bots: WorkerHarness, web: WebServer) -> None:
    config = {
        "daily_notional_target": "1000", "min_slice": "60", "max_slice": "100",
        "min_interval_s": 600, "max_interval_s": 1200, "side_policy": "alternate",
    }  # fmt: skip
    # 1/7 of the value in BTC: far below the neutral band, so every slice buys.
    account = await bots.paper.create_account({"BTC": "0.1", "USDT": "36000"})
    client_id, bot_id = await new_bot(bots, account, config, kind=BotKind.VOLUME)
    await settle(bots)
    for _ in range(3):  # alternate would sell every other tick
        report = await run_tick(bots.ctx, bot_id)
        assert report.placed == 1, report
        await settle(bots)
    sides = await bots.fetch("SELECT DISTINCT side FROM orders WHERE bot_id = %s", bot_id)
    assert sides == [("buy",)]

    body = await _bot_detail(bots, web, client_id, bot_id)
    (reason,) = body["last_skip_reasons"]
    explained = re.fullmatch(
        r"sell slice skipped \(side_policy alternate\): the inventory is ([0-9.]+)% BTC by "
        r"value, outside the 40%-60% band; the bot buys until it is back inside",
        reason,
    )
    assert explained is not None, reason
    assert D(14) <= D(explained.group(1)) <= D(16)  # 1/7 in BTC, plus three slices bought
    assert body["last_skip_tick"] == body["tick_number"]


async def _bot_detail(
    worker: WorkerHarness, web: WebServer, client_id: UUID, bot_id: UUID
) -> dict[str, Any]:
    async with worker.pool.connection() as conn:
        token = (await issue_api_token(conn, client_id, "test")).token
    async with web.http(token) as http:
        response = await http.get(f"/v1/bots/{bot_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
