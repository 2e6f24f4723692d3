"""decide_position: the watch's decisions, no I/O."""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal as D
from typing import Any

from shared.bots.config import SignalConfig
from shared.domain import (
    ExitMode,
    OrderListStatus,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionEventKind,
    PositionStatus,
)
from shared.exchange.types import Market
from worker.positions.decide import decide_position
from worker.positions.model import PositionOrder, PositionSnapshot, PositionView

PID = uuid.UUID(int=7)
MARKET = Market(
    symbol="BTC/USDT", base="BTC", quote="USDT", price_tick=D("0.01"), amount_step=D("0.00001"),
    min_amount=D("0.00001"), min_notional=D("5"),
)  # fmt: skip


def config(**overrides: Any) -> SignalConfig:
    values: dict[str, Any] = {
        "sizing": "fixed_quote", "quote_amount": D(100), "max_position_quote": D(1000),
        "stop_loss_pct": D(2), "take_profit_pct": D(4),
    }  # fmt: skip
    values.update(overrides)
    return SignalConfig(**values)


def position(**overrides: Any) -> PositionView:
    values: dict[str, Any] = {
        "id": PID, "status": PositionStatus.OPEN, "exit_mode": ExitMode.VENUE,
        "close_reason": None, "entry_amount": D("0.01"), "size": D("0.01"),
        "avg_entry_price": D(60000), "stop_price": None, "take_profit_price": None,
        "trail_anchor": None, "atr": None,
    }  # fmt: skip
    values.update(overrides)
    return PositionView(**values)


def order(leg: str, status: OrderStatus = OrderStatus.OPEN, **overrides: Any) -> PositionOrder:
    values: dict[str, Any] = {
        "id": uuid.uuid4(), "leg": leg, "side": OrderSide.SELL, "type": OrderType.LIMIT,
        "status": status, "amount": D("0.01"), "filled": D(0),
    }  # fmt: skip
    values.update(overrides)
    return PositionOrder(**values)


def oco_legs(
    amount: str = "0.01", stop: str = "58800.00", tp: str = "62400.00", **overrides: Any
) -> tuple[PositionOrder, PositionOrder]:
    list_id = uuid.uuid4()
    return (
        order("take_profit", amount=D(amount), price=D(tp), order_list_id=list_id, **overrides),
        order("stop_loss", type=OrderType.STOP_LOSS_LIMIT, amount=D(amount),
              price=D(stop) * D("0.995"), stop_price=D(stop), order_list_id=list_id, **overrides),
    )  # fmt: skip


def snap(
    pos: PositionView | None = None, *orders: PositionOrder, **overrides: Any
) -> PositionSnapshot:
    values: dict[str, Any] = {
        "position": pos or position(), "orders": orders, "list_statuses": (),
        "market": MARKET, "best_bid": D(60000), "bot_running": True, "kill_switch": False,
    }  # fmt: skip
    values.update(overrides)
    return PositionSnapshot(**values)


def kinds(decision: Any) -> list[PositionEventKind]:
    return [e.kind for e in decision.events]


def test_first_fill_sets_levels_from_the_average_entry_and_places_one_list() -> None:
    decision = decide_position(config(), snap())
    assert decision.protection is not None
    assert decision.protection.stop_price == D(58800)
    assert decision.protection.take_profit_price == D(62400)
    plan = decision.place_exits
    assert plan is not None
    assert (plan.amount, plan.stop_price, plan.take_profit_price) == (D("0.01"), D(58800), D(62400))
    assert plan.stop_limit_price == D("58506.00")  # 0.5 % below the stop
    assert plan.idempotency_key == f"position:{PID}:exits:1"
    assert kinds(decision) == [PositionEventKind.EXITS_PLACED]


def test_atr_levels() -> None:
    cfg = config(stop_loss_pct=None, stop_atr_multiple=D(2), take_profit_pct=None,
                 take_profit_atr_multiple=D(3))  # fmt: skip
    decision = decide_position(cfg, snap(position(atr=D(500))))
    assert decision.protection is not None
    assert decision.protection.stop_price == D(59000)
    assert decision.protection.take_profit_price == D(61500)


def test_a_fitting_list_is_left_alone() -> None:
    pos = position(stop_price=D(58800), take_profit_price=D(62400))
    decision = decide_position(config(), snap(pos, *oco_legs()))
    assert decision.place_exits is None
    assert decision.cancel == ()
    assert decision.protection is None


def test_a_partial_entry_fill_resizes_the_list_cancel_first_then_place() -> None:
    pos = position(size=D("0.02"), entry_amount=D("0.02"), stop_price=D(58800),
                   take_profit_price=D(62400))  # fmt: skip
    legs = oco_legs()
    first = decide_position(config(), snap(pos, *legs))
    assert set(first.cancel) == {legs[0].id, legs[1].id}
    assert first.place_exits is None  # never two live lists
    # Canceled, not yet confirmed: wait.
    asked = tuple(dataclasses.replace(leg, cancel_requested=True) for leg in legs)
    assert decide_position(config(), snap(pos, *asked)).place_exits is None
    # Both legs terminal: the new list for the new size, a new key.
    done = tuple(dataclasses.replace(leg, status=OrderStatus.CANCELED) for leg in legs)
    second = decide_position(config(), snap(pos, *done, list_statuses=(OrderListStatus.PLACED,)))
    assert second.place_exits is not None
    assert second.place_exits.amount == D("0.02")
    assert second.place_exits.idempotency_key == f"position:{PID}:exits:2"
    assert PositionEventKind.EXITS_REPLACED in kinds(second)


def test_a_list_not_yet_at_the_venue_or_executing_is_not_replaced() -> None:
    pos = position(size=D("0.02"), stop_price=D(58800), take_profit_price=D(62400))
    pending = oco_legs(status=OrderStatus.ACCEPTED)
    assert decide_position(config(), snap(pos, *pending)).cancel == ()
    tp, sl = oco_legs()
    executing = (
        tp,
        dataclasses.replace(sl, status=OrderStatus.PARTIALLY_FILLED, filled=D("0.004")),
    )
    assert decide_position(config(), snap(pos, *executing)).cancel == ()


def test_trailing_stop_only_moves_up_and_each_move_is_an_event() -> None:
    cfg = config(trailing="pct", trailing_pct=D(1))
    pos = position(stop_price=D(58800), take_profit_price=D(62400), trail_anchor=D(60000),
                   exit_mode=ExitMode.WATCHED)  # fmt: skip
    up = decide_position(cfg, snap(pos, best_bid=D(61000)))
    assert up.protection is not None
    assert up.protection.trail_anchor == D(61000)
    assert up.protection.stop_price == D(60390)  # 61000 - 1 %
    moved = [e for e in up.events if e.kind is PositionEventKind.STOP_MOVED]
    assert [(e.stop_from, e.stop_to) for e in moved] == [(D(58800), D(60390))]

    after = dataclasses.replace(pos, stop_price=D(60390), trail_anchor=D(61000))
    down = decide_position(cfg, snap(after, best_bid=D(60500)))
    assert down.protection is None  # nothing changed: the stop stays, no event
    assert kinds(down) == []


def test_venue_list_is_replaced_for_a_trailing_stop_only_past_the_minimum_step() -> None:
    cfg = config(trailing="atr", trailing_atr_multiple=D(2), stop_loss_pct=None,
                 stop_atr_multiple=D(2))  # fmt: skip
    pos = position(atr=D(400), stop_price=D(59200), take_profit_price=D(62400),
                   trail_anchor=D(60000))  # fmt: skip
    legs = oco_legs(stop="59200.00")
    small = decide_position(cfg, snap(pos, *legs, best_bid=D(60050)))  # +50 < 0.25 ATR
    assert small.cancel == ()
    assert small.protection is not None
    big = decide_position(cfg, snap(pos, *legs, best_bid=D(60200)))  # +200 ≥ 100
    assert set(big.cancel) == {legs[0].id, legs[1].id}


def test_watched_mode_crossing_the_stop_closes_with_a_sell() -> None:
    pos = position(exit_mode=ExitMode.WATCHED, stop_price=D(58800), take_profit_price=D(62400))
    quiet = decide_position(config(), snap(pos, best_bid=D(59000)))
    assert quiet.sell is None
    assert quiet.closing_reason is None
    hit = decide_position(config(), snap(pos, best_bid=D(58700)))
    assert hit.closing_reason == "stop_loss"
    assert hit.sell is not None
    assert hit.sell.amount == D("0.01")
    assert hit.sell.price == D("58406.50")
    assert hit.sell.idempotency_key == f"position:{PID}:exit:1"
    assert kinds(hit)[:2] == [PositionEventKind.EXIT_TRIGGERED, PositionEventKind.CLOSING]


def test_watched_take_profit() -> None:
    pos = position(exit_mode=ExitMode.WATCHED, stop_price=D(58800), take_profit_price=D(62400))
    assert decide_position(config(), snap(pos, best_bid=D(62500))).closing_reason == "take_profit"


def test_venue_mode_without_take_profit_is_watched() -> None:
    decision = decide_position(config(take_profit_pct=None), snap())
    assert decision.place_exits is None
    assert PositionEventKind.NOTE in kinds(decision)


def test_exit_leg_filled_closes_with_its_reason() -> None:
    tp, sl = oco_legs()
    pos = position(size=D(0), stop_price=D(58800), take_profit_price=D(62400))
    filled = dataclasses.replace(sl, status=OrderStatus.FILLED, filled=D("0.01"))
    canceled = dataclasses.replace(tp, status=OrderStatus.CANCELED)
    decision = decide_position(config(), snap(pos, canceled, filled))
    assert decision.close_reason == "stop_loss"
    assert not decision.keep_watching
    # The other leg still live in our books: cancel it first.
    waiting = decide_position(config(), snap(pos, tp, filled))
    assert waiting.cancel == (tp.id,)
    assert waiting.close_reason is None


def test_closing_cancels_then_sells_then_closes() -> None:
    pos = position(status=PositionStatus.CLOSING, close_reason="exit_signal")
    legs = oco_legs()
    first = decide_position(config(), snap(pos, *legs))
    assert set(first.cancel) == {legs[0].id, legs[1].id}
    assert first.sell is None
    done = tuple(dataclasses.replace(leg, status=OrderStatus.CANCELED) for leg in legs)
    second = decide_position(config(), snap(pos, *done))
    assert second.sell is not None
    assert second.sell.amount == D("0.01")
    # An IOC that sold part: the rest on the next step, a new key, never more than the size.
    sold = order("exit", status=OrderStatus.EXPIRED, filled=D("0.006"))
    rest = decide_position(config(), snap(dataclasses.replace(pos, size=D("0.004")), *done, sold))
    assert rest.sell is not None
    assert rest.sell.amount == D("0.004")
    assert rest.sell.idempotency_key == f"position:{PID}:exit:2"
    end = decide_position(config(), snap(dataclasses.replace(pos, size=D(0)), *done, sold))
    assert end.close_reason == "exit_signal"
    assert not end.keep_watching


def test_closing_dust_is_closed_with_a_note() -> None:
    pos = position(status=PositionStatus.CLOSING, close_reason="bot_stopped", size=D("0.00005"))
    decision = decide_position(config(), snap(pos))
    assert decision.sell is None
    assert decision.close_reason == "bot_stopped"
    assert PositionEventKind.NOTE in kinds(decision)


def test_closing_without_a_market_waits() -> None:
    pos = position(status=PositionStatus.CLOSING, close_reason="exit_signal")
    decision = decide_position(config(), snap(pos, best_bid=None, market=None))
    assert decision.sell is None
    assert decision.keep_watching


def test_kill_switch_and_stopped_bot_pause_the_watch() -> None:
    killed = decide_position(config(), snap(kill_switch=True))
    assert not killed.keep_watching
    assert killed.place_exits is None
    assert killed.sell is None
    assert kinds(killed) == [PositionEventKind.NOTE]
    stopped = decide_position(config(), snap(bot_running=False))
    assert not stopped.keep_watching
    assert stopped.place_exits is None


def test_a_closing_position_of_a_stopped_bot_still_sells() -> None:
    pos = position(status=PositionStatus.CLOSING, close_reason="bot_stopped")
    assert decide_position(config(), snap(pos, bot_running=False)).sell is not None


def test_entry_unfilled_closes_the_empty_position() -> None:
    pos = position(size=D(0), entry_amount=D(0), avg_entry_price=None)
    live = decide_position(config(), snap(pos, order("entry", side=OrderSide.BUY)))
    assert live.close_reason is None
    assert live.keep_watching
    gone = order("entry", status=OrderStatus.EXPIRED, side=OrderSide.BUY)
    assert decide_position(config(), snap(pos, gone)).close_reason == "entry_not_filled"


def test_a_refused_list_falls_back_to_watching() -> None:
    pos = position(stop_price=D(58800), take_profit_price=D(62400))
    decision = decide_position(
        config(), snap(pos, list_statuses=(OrderListStatus.REJECTED,), last_list_refusal="x")
    )
    assert decision.place_exits is None
    hit = decide_position(
        config(),
        snap(
            pos, list_statuses=(OrderListStatus.REJECTED,), last_list_refusal="x", best_bid=D(58000)
        ),
    )
    assert hit.closing_reason == "stop_loss"


def test_exits_never_sell_the_fee_the_venue_took_from_the_entry() -> None:
    pos = position(base_fees=D("0.00001"))
    plan = decide_position(config(), snap(pos)).place_exits
    assert plan is not None
    assert plan.amount == D("0.00999")
    closing = dataclasses.replace(pos, status=PositionStatus.CLOSING, close_reason="exit_signal")
    sell = decide_position(config(), snap(closing)).sell
    assert sell is not None
    assert sell.amount == D("0.00999")
    # All it held is sold; the fee is not left to sell: closed.
    sold = dataclasses.replace(closing, size=D("0.00001"))
    assert decide_position(config(), snap(sold)).close_reason == "exit_signal"


def test_refused_sells_back_off() -> None:
    pos = position(status=PositionStatus.CLOSING, close_reason="exit_signal")
    refused = [order("exit", status=OrderStatus.REJECTED) for _ in range(3)]
    assert decide_position(config(), snap(pos, *refused[:2])).next_in_s is None
    slow = decide_position(config(), snap(pos, *refused))
    assert slow.sell is not None
    assert slow.next_in_s == 60


def test_a_filled_entry_whose_fills_are_not_written_yet_is_waited_for() -> None:
    """The order row says filled before its fills are stored (a placement answer read
    before myTrades, or the fills' repair): the position is not empty, it is waiting."""
    pos = position(size=D(0), entry_amount=D(0), avg_entry_price=None)
    filled = order("entry", status=OrderStatus.FILLED, side=OrderSide.BUY, filled=D("0.01"))
    decision = decide_position(config(), snap(pos, filled))
    assert decision.close_reason is None
    assert decision.keep_watching
