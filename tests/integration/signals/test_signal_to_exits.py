"""Signal bots end to end through the worker and the paper exchange: a signal's entry,
sized from the venue's candles, its protective OCO list at the venue, the list resized
when the position grows, and an exit signal racing the list's placement."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any
from uuid import UUID

import httpx

from tests.fixtures.fix_paper import PaperAccount
from tests.fixtures.fix_worker import WorkerHarness
from tests.integration.signals.support import (
    VENUE_CONFIG,
    VENUE_SYMBOL,
    Fleet,
    entry_orders,
    fleet_positions,
    lists_resting,
    new_fleet,
    send_signal,
    venue_order_lists,
)

TICK = Decimal("0.01")  # BTCUSDT's PRICE_FILTER and LOT_SIZE at the paper venue
STEP = Decimal("0.00001")


def down(value: Decimal, unit: Decimal) -> Decimal:
    return (value / unit).to_integral_value(ROUND_FLOOR) * unit


def up(value: Decimal, unit: Decimal) -> Decimal:
    return (value / unit).to_integral_value(ROUND_CEILING) * unit


async def closed_klines(worker: WorkerHarness, interval: str, count: int) -> list[list[Any]]:
    """The venue's last `count` closed candles (the forming one left out, as its range so
    far understates it)."""
    async with httpx.AsyncClient(base_url=worker.paper.url) as http:
        response = await http.get(
            "/api/v3/klines",
            params={"symbol": VENUE_SYMBOL, "interval": interval, "limit": count + 1},
        )
    response.raise_for_status()
    rows: list[list[Any]] = response.json()
    return rows[:-1]


def wilder_atr(klines: list[list[Any]], length: int) -> Decimal:
    """Wilder's ATR of Binance kline rows [open time, open, high, low, close, ...]."""
    high, low, close = ([Decimal(row[i]) for row in klines] for i in (2, 3, 4))
    ranges = [
        max(high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1]))
        for i in range(1, len(klines))
    ]
    atr = sum(ranges[:length], Decimal(0)) / length
    for true_range in ranges[length:]:
        atr = (atr * (length - 1) + true_range) / length
    return atr


async def venue_fills(worker: WorkerHarness, account: PaperAccount, order_id: UUID) -> list[Any]:
    """(qty, price, base commission) of the venue's trades for one of our orders."""
    client_order_id = (await worker.order(order_id))["client_order_id"]
    venue_id = next(
        o["orderId"]
        for o in await worker.paper.orders(api_key=account.api_key, symbol=VENUE_SYMBOL)
        if o["clientOrderId"] == client_order_id
    )
    return [
        (
            Decimal(t["qty"]),
            Decimal(t["price"]),
            Decimal(t["commission"]) if t["commissionAsset"] == "BTC" else Decimal(0),
        )
        for t in await worker.paper.trades(api_key=account.api_key, symbol=VENUE_SYMBOL)
        if t["orderId"] == venue_id
    ]


def list_legs(order_list: dict[str, Any], venue_orders: list[dict[str, Any]]) -> dict[str, Any]:
    """The venue's two legs of a list, by type."""
    ids = {o["orderId"] for o in order_list["orders"]}
    return {o["type"]: o for o in venue_orders if o["orderId"] in ids}


async def test_risk_sized_entries_from_venue_candles_get_atr_exits(
    signals_worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    worker = signals_worker
    risk = {
        **VENUE_CONFIG, "sizing": "risk", "risk_fraction": "0.001", "quote_amount": None,
        "stop_loss_pct": None, "take_profit_pct": None, "stop_atr_multiple": "2",
        "take_profit_atr_multiple": "3", "atr_interval": "1h", "atr_length": 14,
        "max_position_quote": "50000",
    }  # fmt: skip
    capped = {**risk, "max_position_quote": "3000"}
    fleet = await new_fleet(worker, paper_account, bots=2, configs=[risk, capped])
    balances = await worker.paper.balances(paper_account.api_key)
    market = await worker.paper.market(VENUE_SYMBOL)
    # The fan-out reads 3 lengths of closed candles (Wilder's smoothing converges over a
    # few lengths); read the same ones before and after, in case an hour turns between.
    klines_before = await closed_klines(worker, "1h", 14 * 3)

    assert await send_signal(worker, fleet, "risk-1") is not None
    await worker.drain(lists_resting(paper_account, 2), within_s=30)
    klines_after = await closed_klines(worker, "1h", 14 * 3)
    atrs = {wilder_atr(klines_before, 14), wilder_atr(klines_after, 14)}

    equity = balances["USDT"].total + balances["BTC"].total * Decimal(market["mid"])
    price = down(Decimal(60000) * Decimal("1.005"), TICK)  # the reference + 50 bps
    positions = await fleet_positions(worker, fleet)
    entries = {o["bot_id"]: o for o in await entry_orders(worker, fleet)}
    assert len(positions) == len(entries) == 2
    atr = positions[fleet.bot_ids[0]]["atr"]
    assert atr in atrs, (atr, atrs)
    uncapped = down(equity * Decimal("0.001") / (2 * atr), STEP)
    assert uncapped * price < 50000  # the first bot's risk decides its size
    assert entries[fleet.bot_ids[0]]["amount"] == uncapped
    assert entries[fleet.bot_ids[1]]["amount"] == down(Decimal(3000) / price, STEP) < uncapped

    venue_orders = await worker.paper.orders(api_key=paper_account.api_key, symbol=VENUE_SYMBOL)
    lists = await venue_order_lists(paper_account)
    for bot_id in fleet.bot_ids:
        position, entry = positions[bot_id], entries[bot_id]
        assert position["atr"] == atr
        fills = await venue_fills(worker, paper_account, entry["id"])
        bought = sum(q for q, _, _ in fills)
        assert entry["status"] == "filled"
        assert bought == entry["amount"]
        avg = sum(q * p for q, p, _ in fills) / bought
        stop, take_profit = down(avg - 2 * atr, TICK), up(avg + 3 * atr, TICK)
        held = down(bought - sum(fee for _, _, fee in fills), STEP)
        mine = [
            legs
            for legs in (list_legs(order_list, venue_orders) for order_list in lists)
            if Decimal(legs["STOP_LOSS_LIMIT"]["origQty"]) == held
        ]
        assert len(mine) == 1, (held, lists)
        legs = mine[0]
        assert Decimal(legs["STOP_LOSS_LIMIT"]["stopPrice"]) == stop
        assert Decimal(legs["LIMIT_MAKER"]["price"]) == take_profit
        assert Decimal(legs["LIMIT_MAKER"]["origQty"]) == held
        # The position's levels (unrounded) are the same ones.
        assert down(position["stop_price"], TICK) == stop
        assert up(position["take_profit_price"], TICK) == take_profit
    await _close_out(worker, fleet)


async def test_a_partial_entry_then_a_second_entry_replace_the_list_for_the_new_size(
    signals_worker: WorkerHarness, paper_account: PaperAccount
) -> None:
    worker = signals_worker
    # 6000 USDT at the ask with no slippage room: the book's touch (0.05 BTC) fills, the
    # rest of the IOC expires.
    config = {**VENUE_CONFIG, "quote_amount": "6000", "max_slippage_bps": "0",
              "max_position_quote": "20000"}  # fmt: skip
    fleet = await new_fleet(worker, paper_account, bots=1, config=config)
    ask = Decimal((await worker.paper.market(VENUE_SYMBOL))["bestAsk"])
    touch = Decimal((await worker.paper.market(VENUE_SYMBOL))["asks"][0][1])

    async def list_for(held: Decimal) -> bool:
        lists = await venue_order_lists(paper_account)
        orders = await worker.paper.orders(api_key=paper_account.api_key, symbol=VENUE_SYMBOL)
        return len(lists) == 1 and all(
            Decimal(leg["origQty"]) == held for leg in list_legs(lists[0], orders).values()
        )

    most_lists = 0

    async def count_lists() -> None:
        nonlocal most_lists
        while True:
            most_lists = max(most_lists, len(await venue_order_lists(paper_account)))
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(count_lists())
    try:
        assert await send_signal(worker, fleet, "in-1", reference_price=ask) is not None
        first_held = touch - touch * Decimal("0.001")
        await worker.drain(lambda: list_for(first_held), within_s=20)
        [first] = await entry_orders(worker, fleet)
        assert (first["status"], first["filled"]) == ("expired", touch)
        assert first["amount"] > touch  # partially filled

        assert await send_signal(worker, fleet, "in-2", reference_price=ask) is not None
        await worker.drain(lambda: list_for(2 * first_held), within_s=20)
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
    assert most_lists == 1  # never two live lists at the venue
    by_list: dict[int, list[dict[str, Any]]] = {}
    for order in await worker.paper.orders(api_key=paper_account.api_key, symbol=VENUE_SYMBOL):
        if order["orderListId"] != -1:
            by_list.setdefault(order["orderListId"], []).append(order)
    old_list, new_list = (by_list[list_id] for list_id in sorted(by_list))
    assert {o["status"] for o in old_list} == {"CANCELED"}
    # The old list was gone at the venue before the new one arrived.
    assert max(o["updateTime"] for o in old_list) <= min(o["time"] for o in new_list)

    position_id = next(iter((await fleet_positions(worker, fleet)).values()))["id"]
    kinds = [
        row[0]
        for row in await worker.fetch(
            "SELECT kind::text FROM position_events WHERE position_id = %s ORDER BY id",
            position_id,
        )
    ]
    assert "exits_placed" in kinds
    assert "exits_replaced" in kinds[kinds.index("exits_placed") :], kinds
    lists = await worker.fetch(
        "SELECT l.status::text, o.bot_leg, o.status::text, o.amount FROM order_lists l"
        " JOIN orders o ON o.order_list_id = l.id WHERE o.position_id = %s"
        " ORDER BY l.created_at, o.bot_leg",
        position_id,
    )
    assert [(leg, status, amount) for _, leg, status, amount in lists] == [
        ("stop_loss", "canceled", first_held), ("take_profit", "canceled", first_held),
        ("stop_loss", "open", 2 * first_held), ("take_profit", "open", 2 * first_held),
    ]  # fmt: skip
    await _close_out(worker, fleet)


async def _close_out(worker: WorkerHarness, fleet: Fleet) -> None:
    """An exit signal: the tests leave nothing resting on the shared venue."""
    assert await send_signal(worker, fleet, "out", action="exit", reference_price=None)

    async def closed() -> bool:
        positions = await fleet_positions(worker, fleet)
        return all(p["status"] == "closed" for p in positions.values())

    await worker.drain(closed, within_s=20)
