"""The spread bot's decision, over hand-built snapshots (no I/O)."""

from __future__ import annotations

import uuid
from decimal import Decimal as D
from typing import Any

from shared.bots.config import SpreadConfig
from shared.domain import OrderSide, OrderStatus
from shared.exchange.types import AssetBalance, Market
from worker.bots.model import LiveOrder, MarketView, Snapshot
from worker.bots.spread import CANCEL_RECHECK_S, decide_spread, skew_bps

MARKET = Market(
    symbol="BTC/USDT", base="BTC", quote="USDT", price_tick=D("0.01"), amount_step=D("0.00001"),
    min_amount=D("0.00001"), min_notional=D("5"), min_price=D("0.01"), max_price=D("1000000"),
)  # fmt: skip


def config(**overrides: Any) -> SpreadConfig:
    values: dict[str, Any] = {"spread_bps": D(20), "order_size": D("0.01")} | overrides
    return SpreadConfig(**values)


def balances(btc: str = "1", usdt: str = "60000") -> dict[str, AssetBalance]:
    return {
        "BTC": AssetBalance("BTC", D(btc), D(0), D(btc)),
        "USDT": AssetBalance("USDT", D(usdt), D(0), D(usdt)),
    }


def snapshot(mid: str = "60000", orders: tuple[LiveOrder, ...] = (), **funds: str) -> Snapshot:
    return Snapshot(MarketView(MARKET, D(mid)), orders, balances(**funds))


def quote(leg: str, price: str, status: OrderStatus = OrderStatus.OPEN) -> LiveOrder:
    side = OrderSide.BUY if leg.startswith("bid") else OrderSide.SELL
    return LiveOrder(uuid.uuid4(), leg, side, D(price), D("0.01"), status)


def test_quotes_both_sides_at_half_the_spread() -> None:
    decision = decide_spread(config(), snapshot())
    assert [(p.leg, p.side, p.price, p.amount) for p in decision.place] == [
        ("bid-1", OrderSide.BUY, D("59940.00"), D("0.01")),
        ("ask-1", OrderSide.SELL, D("60060.00"), D("0.01")),
    ]
    assert decision.cancel == ()
    assert decision.skips == ()
    assert decision.next_tick_in_s == 10


def test_rounds_to_the_venue_tick_away_from_the_mid() -> None:
    decision = decide_spread(config(spread_bps=D(3)), snapshot(mid="60000.005"))
    bid, ask = decision.place
    assert bid.price == D("59991.00")
    assert ask.price == D("60009.01")
    assert bid.price % MARKET.price_tick == 0
    assert ask.price % MARKET.price_tick == 0


def test_levels_step_out_by_half_a_spread_each() -> None:
    decision = decide_spread(config(levels=3), snapshot())
    assert [p.price for p in decision.place if p.side is OrderSide.BUY] == [
        D("59940.00"), D("59880.00"), D("59820.00"),
    ]  # fmt: skip


def being_canceled(leg: str, price: str) -> LiveOrder:
    side = OrderSide.BUY if leg.startswith("bid") else OrderSide.SELL
    return LiveOrder(uuid.uuid4(), leg, side, D(price), D("0.01"), OrderStatus.OPEN,
                     cancel_requested=True)  # fmt: skip


def test_drifted_quotes_are_canceled_and_replaced_once_the_venue_confirms() -> None:
    kept_bid = quote("bid-1", "59945")  # 5 bps at tolerance 5: kept
    drifted_ask = quote("ask-1", "60100")  # 6.7 bps away: canceled
    decision = decide_spread(config(), snapshot(orders=(kept_bid, drifted_ask)))
    assert decision.cancel == (drifted_ask.id,)
    assert decision.place == ()  # its replacement waits for the venue's confirmation
    assert decision.skips == ("ask side waits: 1 cancel(s) not yet confirmed by the venue",)
    assert decision.next_tick_in_s == CANCEL_RECHECK_S
    # Confirmed (the order is no longer live): the replacement goes up.
    confirmed = decide_spread(config(), snapshot(orders=(kept_bid,)))
    assert [p.leg for p in confirmed.place] == ["ask-1"]
    assert confirmed.next_tick_in_s == 10


def test_a_side_never_has_more_than_levels_orders_counting_unconfirmed_cancels() -> None:
    leaving = (being_canceled("bid-1", "59000"), being_canceled("bid-2", "58900"))
    drifted = (quote("ask-1", "61000"), quote("ask-2", "61100"))
    decision = decide_spread(config(levels=2), snapshot(orders=(*leaving, *drifted)))
    assert set(decision.cancel) == {o.id for o in drifted}
    assert decision.place == ()
    assert decision.skips == (
        "bid side waits: 2 cancel(s) not yet confirmed by the venue",
        "ask side waits: 2 cancel(s) not yet confirmed by the venue",
    )
    # One side confirmed, the other not: only the confirmed side quotes.
    decision = decide_spread(config(levels=2), snapshot(orders=leaving))
    assert [p.leg for p in decision.place] == ["ask-1", "ask-2"]


def test_duplicates_and_unknown_legs_are_canceled() -> None:
    first, twin, stray = quote("bid-1", "59940"), quote("bid-1", "59940"), quote("bid-4", "59700")
    decision = decide_spread(config(), snapshot(orders=(first, twin, stray)))
    assert set(decision.cancel) == {twin.id, stray.id}
    assert [p.leg for p in decision.place] == ["ask-1"]  # bid-1 stands: nothing to add


def test_orders_being_canceled_are_not_quotes() -> None:
    decision = decide_spread(config(), snapshot(orders=(being_canceled("bid-1", "59940"),)))
    assert decision.cancel == ()
    assert [p.leg for p in decision.place] == ["ask-1"]  # the bid waits for its cancel


def test_skew_lowers_quotes_when_long_base_and_raises_them_when_short() -> None:
    cfg = config(inventory_skew_bps=D(8))
    neutral = decide_spread(cfg, snapshot())
    long_base = decide_spread(cfg, snapshot(btc="3", usdt="60000"))  # share 0.75
    short_base = decide_spread(cfg, snapshot(btc="0.2", usdt="108000"))  # share 0.1
    assert skew_bps(cfg, snapshot(btc="3", usdt="60000")) == D(-4)  # half way to all-base
    assert skew_bps(cfg, snapshot(btc="0.2", usdt="108000")) == D("-6.4") * -1
    for lower, higher in zip(long_base.place, neutral.place, strict=True):
        assert lower.price < higher.price
    for higher, lower in zip(short_base.place, neutral.place, strict=True):
        assert higher.price > lower.price
    assert long_base.place[0].price == D("59916.00")  # 60000 * (1 - 4/1e4 - 10/1e4)


def test_skew_never_pushes_a_quote_across_the_mid() -> None:
    cfg = config(inventory_skew_bps=D(500), inventory_target=D("0.5"))
    decision = decide_spread(cfg, snapshot(btc="100", usdt="100000"))
    bid, ask = (p.price for p in decision.place)
    assert bid < D(60000) <= ask


def test_unfunded_side_pauses_with_a_reason() -> None:
    decision = decide_spread(config(), snapshot(btc="0.001"))
    assert [p.leg for p in decision.place] == ["bid-1"]
    assert decision.skips == ("ask side paused: insufficient BTC (needs 0.01, available 0.001)",)
    no_usdt = decide_spread(config(), snapshot(usdt="100"))
    assert [p.leg for p in no_usdt.place] == ["ask-1"]
    assert no_usdt.skips[0].startswith("bid side paused: insufficient USDT")


def test_pending_intents_are_reserved() -> None:
    pending_bid = quote("bid-1", "59940", status=OrderStatus.ACCEPTED)  # not locked yet
    decision = decide_spread(config(levels=2), snapshot(orders=(pending_bid,), usdt="700"))
    assert [p.leg for p in decision.place] == ["ask-1", "ask-2"]
    assert decision.skips[0].startswith("bid side paused: insufficient USDT")


def test_min_and_max_price_are_never_crossed() -> None:
    decision = decide_spread(config(levels=2, max_price=D("60100")), snapshot())
    assert [p.leg for p in decision.place] == ["bid-1", "ask-1", "bid-2"]
    assert decision.skips == ("ask-2 not quoted: price 60120 is above the maximum price 60100",)
    decision = decide_spread(config(min_price=D("59950")), snapshot())
    assert [p.leg for p in decision.place] == ["ask-1"]


def test_sizes_below_the_venue_minimum_are_not_quoted() -> None:
    decision = decide_spread(config(order_size=D("0.00005")), snapshot())  # 3 USDT < 5
    assert decision.place == ()
    assert len(decision.skips) == 2
    assert "below the venue's minimum 5" in decision.skips[0]
