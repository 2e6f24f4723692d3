"""The spread bot against the paper exchange: quotes follow the mid, a re-run tick never
doubles an order, inventory skews the quotes, an unfunded side pauses visibly."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from shared.repositories.clients import issue_api_token
from tests.fixtures.fix_web import WebServer
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.bots.support import (
    VENUE_SYMBOL,
    bot_row,
    new_bot,
    settle,
    venue_open_orders,
    venue_quotes,
)
from worker.bots.tick import run_tick

# refresh_interval_s is long so the chain's own next tick never runs inside a test: the
# tests drive every tick after the first one themselves.
SPREAD: dict[str, Any] = {"spread_bps": "20", "order_size": "0.01", "refresh_interval_s": 3600}


def assert_quoted_around(quotes: dict[str, list[D]], mid: D, tolerance_bps: D = D(5)) -> None:
    assert [len(quotes["BUY"]), len(quotes["SELL"])] == [1, 1], quotes
    slack = mid * tolerance_bps / 10_000 + D("0.01")  # tolerance plus one tick of rounding
    assert abs(quotes["BUY"][0] - mid * D("0.999")) <= slack, (quotes, mid)
    assert abs(quotes["SELL"][0] - mid * D("1.001")) <= slack, (quotes, mid)


async def test_quotes_follow_the_mid_and_a_rerun_tick_places_nothing_twice(
    bots: WorkerHarness,
) -> None:
    account = await bots.paper.create_account({"BTC": "1", "USDT": "60000"})
    _, bot_id = await new_bot(bots, account, SPREAD)
    await settle(bots)  # the first tick runs as the job start_bot deferred
    assert (await bot_row(bots, bot_id))["tick_number"] == 1
    assert_quoted_around(await venue_quotes(bots, account), D(60000))
    next_ticks = await bots.fetch(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'bot_tick' AND status = 'todo'"
    )
    assert next_ticks == [(1,)]  # the chain: exactly one pending tick

    replaced = 0
    ticks = 1
    for mid in ("60010", "60045", "60020", "59980", "59940", "59990", "60100", "60070"):
        await bots.paper.set_mid(VENUE_SYMBOL, mid)
        report = await run_tick(bots.ctx, bot_id)
        ticks += 1
        assert report.outcome in ("acted", "idle"), report
        replaced += report.canceled
        await settle(bots)
        if report.canceled:  # replacements go up once the venue confirmed the cancels
            assert report.placed == 0, report
            await run_tick(bots.ctx, bot_id)
            ticks += 1
            await settle(bots)
        assert_quoted_around(await venue_quotes(bots, account), D(mid))
    assert replaced >= 4  # drifted quotes were replaced, not left behind
    row = await bot_row(bots, bot_id)
    assert row["tick_number"] == ticks
    assert row["last_tick_at"] is not None

    # Re-run the last tick before its orders went out: its quotes are seen, none added.
    await bots.paper.set_mid(VENUE_SYMBOL, "60300")
    await run_tick(bots.ctx, bot_id)  # cancels the drifted quotes
    await settle(bots)
    report = await run_tick(bots.ctx, bot_id)
    assert report.placed == 2
    rerun = await run_tick(bots.ctx, bot_id, rerun_tick=report.tick_number)
    assert rerun.placed == 0
    assert rerun.tick_number == report.tick_number
    await settle(bots)
    venue_before = len(await bots.paper.orders(api_key=account.api_key))

    # Re-run it again after the market moved: it cancels its drifted quotes; run once
    # more after the venue confirmed, it decides other prices for the same legs, and the
    # same keys mean no second order per leg.
    await bots.paper.set_mid(VENUE_SYMBOL, "60340")
    rerun = await run_tick(bots.ctx, bot_id, rerun_tick=report.tick_number)
    assert (rerun.placed, rerun.canceled) == (0, 2)
    await settle(bots)
    rerun = await run_tick(bots.ctx, bot_id, rerun_tick=report.tick_number)
    assert rerun.placed == 0
    assert any("already placed by an earlier run" in s for s in rerun.skips), rerun.skips
    await settle(bots)
    assert len(await bots.paper.orders(api_key=account.api_key)) == venue_before
    per_tick = await bots.fetch(
        "SELECT count(*) FROM orders WHERE bot_id = %s AND bot_tick = %s",
        bot_id,
        report.tick_number,
    )
    assert per_tick == [(2,)]
    # The next tick quotes again.
    await run_tick(bots.ctx, bot_id)
    await settle(bots)
    assert_quoted_around(await venue_quotes(bots, account), D("60340"))
    # Every venue order is one of ours, once.
    ours = await bots.fetch("SELECT client_order_id FROM orders WHERE bot_id = %s", bot_id)
    venue_ids = [o["clientOrderId"] for o in await bots.paper.orders(api_key=account.api_key)]
    assert sorted(venue_ids) == sorted(r[0] for r in ours if r[0] in venue_ids)
    assert len(venue_ids) == len(set(venue_ids))


async def test_inventory_skews_the_quotes_in_the_configured_direction(bots: WorkerHarness) -> None:
    config = {**SPREAD, "inventory_skew_bps": "8"}
    long_base = await bots.paper.create_account({"BTC": "3", "USDT": "60000"})  # 75 % base
    short_base = await bots.paper.create_account({"BTC": "0.2", "USDT": "108000"})  # 10 % base
    neutral = await bots.paper.create_account({"BTC": "1", "USDT": "60000"})
    for account in (long_base, short_base, neutral):
        await new_bot(bots, account, config)
    await settle(bots)

    # Skew = -8 bps x deviation scaled to [-1, 1]: -4 bps at 75 %, +6.4 bps at 10 %.
    assert await venue_quotes(bots, long_base) == {"BUY": [D("59916")], "SELL": [D("60036")]}
    assert await venue_quotes(bots, short_base) == {
        "BUY": [D("59978.4")],
        "SELL": [D("60098.4")],
    }
    assert await venue_quotes(bots, neutral) == {"BUY": [D("59940")], "SELL": [D("60060")]}


async def test_an_unfunded_side_pauses_and_the_api_says_why(
    bots: WorkerHarness, web: WebServer
) -> None:
    account = await bots.paper.create_account({"BTC": "0", "USDT": "60000"})
    client_id, bot_id = await new_bot(bots, account, SPREAD)
    await settle(bots)
    assert await venue_quotes(bots, account) == {"BUY": [D("59940")], "SELL": []}

    async with bots.pool.connection() as conn:
        token = (await issue_api_token(conn, client_id, "test")).token
    async with web.http(token) as http:
        response = await http.get(f"/v1/bots/{bot_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "running"
    assert body["tick_number"] == 1
    assert body["last_tick_at"] is not None
    assert body["last_skip_tick"] == 1
    assert body["last_skip_reasons"] == [
        "ask side paused: insufficient BTC (needs 0.01, available 0)"
    ]
    (quote,) = body["quotes"]
    assert (quote["side"], quote["price"], quote["remaining"], quote["leg"]) == (
        "buy", "59940", "0.01", "bid-1",
    )  # fmt: skip
    assert quote["status"] == "open"
    # Existing response fields are all still there.
    for field in ("id", "name", "kind", "config", "status_reason", "archived_at", "symbol"):
        assert field in body

    # Funded again: the next tick quotes both sides.
    await bots.paper.set_balances(account.api_key, {"BTC": "1"})
    await run_tick(bots.ctx, bot_id)
    await settle(bots)
    assert len(await venue_open_orders(bots, account)) == 2


async def test_an_unavailable_venue_skips_the_tick_with_its_reason(bots: WorkerHarness) -> None:
    account = await bots.paper.create_account({"BTC": "1", "USDT": "60000"})
    _, bot_id = await new_bot(bots, account, SPREAD)
    await settle(bots)
    await bots.paper.inject_fault(
        "http_503", "/api/v3/account", "GET", times=50, api_key=account.api_key
    )
    try:
        report = await run_tick(bots.ctx, bot_id)
    finally:
        await bots.paper.clear_faults(api_key=account.api_key)

    assert report.outcome == "skipped", report
    assert [report.placed, report.canceled] == [0, 0]
    assert len(report.skips) == 1
    assert report.skips[0].startswith("tick skipped: venue unavailable"), report.skips
    assert (await bot_row(bots, bot_id))["status"] == "running"
    recorded = await bots.fetch(
        "SELECT outcome, skip_reasons FROM bot_ticks WHERE bot_id = %s AND tick_number = %s",
        bot_id,
        report.tick_number,
    )
    assert recorded == [("skipped", list(report.skips))]
