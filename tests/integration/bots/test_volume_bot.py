"""The volume bot on an accelerated clock: reaches its daily target, never crosses its own
orders, keeps its inventory near neutral."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal as D
from typing import Any

from shared.domain import BotKind
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.bots.support import bot_row, new_bot, settle
from worker.bots.tick import Clock, run_tick
from worker.bots.volume import INVENTORY_BAND

TARGET = D(1500)
VOLUME: dict[str, Any] = {
    "daily_notional_target": str(TARGET), "min_slice": "60", "max_slice": "140",
    # Minutes apart: the chain's own next tick never comes due during the test, which
    # drives the ticks itself on a clock it advances by each tick's chosen delay.
    "min_interval_s": 600, "max_interval_s": 1200, "price_band_bps": "10",
}  # fmt: skip


def frozen(moment: datetime) -> Clock:
    return lambda: moment


async def own_orders_cross(worker: WorkerHarness, bot_id: Any) -> bool:
    rows = await worker.fetch(
        """SELECT max(price) FILTER (WHERE side = 'buy'), min(price) FILTER (WHERE side = 'sell')
           FROM orders WHERE bot_id = %s
             AND status IN ('accepted', 'submitting', 'unknown', 'open', 'partially_filled')""",
        bot_id,
    )
    best_buy, best_sell = rows[0]
    return best_buy is not None and best_sell is not None and best_buy >= best_sell


async def base_share(worker: WorkerHarness, api_key: str) -> D:
    balances = await worker.paper.balances(api_key)
    base = balances["BTC"].total * D(60000)
    return base / (base + balances["USDT"].total)


async def test_volume_bot_reaches_its_daily_target_on_an_accelerated_clock(
    bots: WorkerHarness,
) -> None:
    account = await bots.paper.create_account({"BTC": "1", "USDT": "60000"})
    _, bot_id = await new_bot(bots, account, VOLUME, kind=BotKind.VOLUME)
    await settle(bots)  # tick 1 runs as the job start_bot deferred (real clock)
    # Start of today (UTC) on the fake clock, so the venue's real fill times are "today".
    now = datetime.combine(datetime.now(UTC).date(), time(0, 0, 1), tzinfo=UTC)

    cross_skips = 0
    reached = False
    for step in range(60):
        report = await run_tick(bots.ctx, bot_id, clock=frozen(now))
        assert report.outcome in ("acted", "skipped"), report
        if step % 3 == 0 and report.placed:
            # A second tick while the slice is still on its way: the alternate side would
            # cross it, so the bot must skip rather than send.
            eager = await run_tick(bots.ctx, bot_id, clock=frozen(now))
            assert eager.placed == 0, eager
            cross_skips += any("would cross the bot's own" in s for s in eager.skips)
        assert not await own_orders_cross(bots, bot_id)
        await settle(bots)
        assert abs(await base_share(bots, account.api_key) - D("0.5")) <= INVENTORY_BAND
        if any(s.startswith("daily target reached") for s in report.skips):
            reached = True
            break
        assert report.next_tick_in_s is not None
        assert 600 <= report.next_tick_in_s <= 1200
        now += timedelta(seconds=report.next_tick_in_s)
    assert reached, "the bot never reported its target reached"
    assert cross_skips >= 2

    traded = (await bots.fetch("SELECT sum(quote_amount) FROM fills WHERE bot_id = %s", bot_id))[0][
        0
    ]
    assert TARGET * D("0.9") <= traded <= TARGET * D("1.1"), traded
    venue_trades = [t for t in await bots.paper.trades(api_key=account.api_key)]
    assert sum(D(t["quoteQty"]) for t in venue_trades) == traded  # every fill recorded once
    sides = await bots.fetch(
        "SELECT side, count(*) FROM orders WHERE bot_id = %s GROUP BY side ORDER BY side", bot_id
    )
    assert [s for s, _ in sides] == ["buy", "sell"]
    assert (await bot_row(bots, bot_id))["last_tick_at"] == now
    # Re-running a tick draws the same slice: nothing new goes out.
    last_placing = (await bots.fetch("SELECT max(bot_tick) FROM orders WHERE bot_id = %s", bot_id))[
        0
    ][0]
    orders_before = len(await bots.paper.orders(api_key=account.api_key))
    rerun = await run_tick(bots.ctx, bot_id, rerun_tick=last_placing, clock=frozen(now))
    assert rerun.placed == 0
    await settle(bots)
    assert len(await bots.paper.orders(api_key=account.api_key)) == orders_before
