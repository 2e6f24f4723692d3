"""The volume bot's decision, over hand-built snapshots (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any

from shared.bots.config import VolumeConfig
from shared.domain import OrderSide, OrderStatus, TimeInForce
from shared.exchange.types import AssetBalance, Market
from worker.bots.model import LiveOrder, MarketView, Snapshot
from worker.bots.volume import VolumeProgress, decide_volume, seconds_to_next_day

MARKET = Market(
    symbol="BTC/USDT", base="BTC", quote="USDT", price_tick=D("0.01"), amount_step=D("0.00001"),
    min_amount=D("0.00001"), min_notional=D("5"),
)  # fmt: skip
NOW = datetime(2024, 6, 7, 12, 0, tzinfo=UTC)


def config(**overrides: Any) -> VolumeConfig:
    values: dict[str, Any] = {
        "daily_notional_target": D(1000), "min_slice": D(50), "max_slice": D(100),
        "min_interval_s": 30, "max_interval_s": 300,
    } | overrides  # fmt: skip
    return VolumeConfig(**values)


def snapshot(orders: tuple[LiveOrder, ...] = (), btc: str = "1", usdt: str = "60000") -> Snapshot:
    balances = {
        "BTC": AssetBalance("BTC", D(btc), D(0), D(btc)),
        "USDT": AssetBalance("USDT", D(usdt), D(0), D(usdt)),
    }
    return Snapshot(MarketView(MARKET, D(60000)), orders, balances)


def progress(traded: str = "0", last: OrderSide | None = None) -> VolumeProgress:
    return VolumeProgress(traded_today=D(traded), last_side=last, now=NOW)


def resting(side: OrderSide, price: str, cancel_requested: bool = False) -> LiveOrder:
    return LiveOrder(uuid.uuid4(), "slice", side, D(price), D("0.001"), OrderStatus.OPEN,
                     cancel_requested)  # fmt: skip


def test_a_slice_is_a_marketable_ioc_limit_at_the_band_edge() -> None:
    decision = decide_volume(config(), snapshot(), progress(), "bot:1")
    (order,) = decision.place
    assert order.side is OrderSide.BUY
    assert order.time_in_force is TimeInForce.IOC
    assert order.price == D("60060.00")  # mid + 10 bps
    assert D(50) <= order.amount * order.price <= D(100)
    assert order.amount % MARKET.amount_step == 0
    assert 30 <= decision.next_tick_in_s <= 300


def test_same_seed_same_decision_other_seed_other_draws() -> None:
    first = decide_volume(config(), snapshot(), progress(), "bot:7")
    again = decide_volume(config(), snapshot(), progress(), "bot:7")
    assert first == again
    draws = {decide_volume(config(), snapshot(), progress(), f"bot:{n}").place[0].amount
             for n in range(20)}  # fmt: skip
    assert len(draws) > 10


def test_alternate_policy_flips_sides_and_sells_at_the_lower_band_edge() -> None:
    decision = decide_volume(config(), snapshot(), progress(last=OrderSide.BUY), "s")
    (order,) = decision.place
    assert order.side is OrderSide.SELL
    assert order.price == D("59940.00")


def test_balance_policy_and_the_band_bring_inventory_back() -> None:
    long_base = snapshot(btc="1.2", usdt="60000")  # share 0.545: inside the band
    decision = decide_volume(config(side_policy="balance"), long_base, progress(), "s")
    assert decision.place[0].side is OrderSide.SELL
    way_short = snapshot(btc="0.5", usdt="60000")  # share 0.33: outside the band
    decision = decide_volume(config(), way_short, progress(last=OrderSide.BUY), "s")
    assert decision.place[0].side is OrderSide.BUY  # alternate would sell; the band wins
    assert decision.skips == (
        "sell slice skipped (side_policy alternate): the inventory is 33.3% BTC by value, "
        "outside the 40%-60% band; the bot buys until it is back inside",
    )
    # When the band and alternate agree, there is nothing to explain.
    decision = decide_volume(config(), way_short, progress(last=OrderSide.SELL), "s")
    assert (decision.place[0].side, decision.skips) == (OrderSide.BUY, ())
    way_long = snapshot(btc="2", usdt="30000")  # share 0.8
    decision = decide_volume(config(), way_long, progress(last=OrderSide.SELL), "s")
    assert decision.place[0].side is OrderSide.SELL
    assert decision.skips[0].startswith("buy slice skipped (side_policy alternate)")
    assert "the bot sells until" in decision.skips[0]


def test_never_crosses_its_own_resting_orders() -> None:
    own_sell = resting(OrderSide.SELL, "60050")
    decision = decide_volume(config(), snapshot((own_sell,)), progress(), "s")
    assert decision.place == ()
    assert decision.skips == (
        "buy slice not sent: buy at 60060 would cross the bot's own sell at 60050",
    )
    own_buy = resting(OrderSide.BUY, "59950", cancel_requested=True)  # may still rest
    decision = decide_volume(config(), snapshot((own_buy,)), progress(last=OrderSide.BUY), "s")
    assert decision.place == ()
    assert "would cross the bot's own buy at 59950" in decision.skips[0]
    far_sell = resting(OrderSide.SELL, "60100")
    decision = decide_volume(config(), snapshot((far_sell,)), progress(), "s")
    assert decision.place[0].side is OrderSide.BUY


def test_stops_for_the_day_when_the_target_is_met() -> None:
    decision = decide_volume(config(), snapshot(), progress(traded="1000.5"), "s")
    assert decision.place == ()
    assert decision.skips == ("daily target reached: traded 1000.5 of 1000 USDT today",)
    assert decision.next_tick_in_s == 300
    assert seconds_to_next_day(datetime(2024, 6, 7, 23, 59, 30, tzinfo=UTC)) == 30


def test_the_last_slice_is_capped_at_what_remains_and_in_flight_orders_count() -> None:
    decision = decide_volume(config(), snapshot(), progress(traded="980"), "s")
    (order,) = decision.place
    assert order.amount * order.price <= D(20)
    pending = LiveOrder(uuid.uuid4(), "slice", OrderSide.BUY, D("60060"), D("0.0165"),
                        OrderStatus.ACCEPTED)  # fmt: skip  # ~991 USDT on its way
    decision = decide_volume(config(), snapshot((pending,)), progress(traded="5"), "s")
    assert decision.place == ()
    assert decision.skips[0].startswith("daily target reached")


def test_unfunded_side_is_skipped_with_a_reason() -> None:
    decision = decide_volume(config(), snapshot(usdt="10", btc="0.0002"), progress(), "s")
    assert decision.place == ()
    assert decision.skips[0].startswith("buy slice paused: insufficient USDT")
