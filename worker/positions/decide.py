"""decide_position: one step of a position's watch, with no I/O.

open, nothing bought yet   → wait for the entry; it ended unfilled → closed.
open, size > 0             → levels (stop from the average entry, the trail), then
    venue mode: one OCO list (take-profit + stop-loss limit) for the size; a list whose
        size or stop is out of date is canceled and, once both legs are terminal,
        replaced (never two live lists, never more than the size);
    watched mode (or a venue that refused the list, or no take-profit to pair the stop
        with): the best bid at or through a level → closing (stop_loss / take_profit).
open, sold out             → exits still live are canceled; then closed (the leg that
                             filled names the reason).
closing                    → cancel everything live but the exit sells, wait until
                             nothing is live, sell the size (limit IOC below the bid,
                             again on the next step for what an IOC left), dust below
                             the venue's minimum → closed with a note; size 0 → closed.
kill switch / bot not running while open → paused (a note; start_bot resumes it).

"Size" here is what the account holds for the position: bought less sold less the fees
the venue took in the base asset (a Binance buy pays its fee from what it bought).

Idempotency keys come from (position, purpose, how many of that purpose exist), so a
step that runs twice on the same state writes the same keys.
"""

from __future__ import annotations

from decimal import Decimal

from shared.bots.config import SignalConfig
from shared.domain import (
    ExitMode,
    OrderListStatus,
    OrderSide,
    OrderStatus,
    PositionEventKind,
    PositionStatus,
)
from shared.exchange.precision import round_to_step
from worker.positions.levels import LevelsUnavailable, update_levels
from worker.positions.model import (
    ENTRY_LEG,
    ENTRY_NOT_FILLED,
    EXIT_LEG,
    EXIT_LIST_LEGS,
    SOLD,
    STOP_LOSS,
    STOP_LOSS_LEG,
    TAKE_PROFIT,
    TAKE_PROFIT_LEG,
    Event,
    OcoPlan,
    PositionDecision,
    PositionSnapshot,
    Protection,
    SellPlan,
)

BPS = Decimal(10_000)
# The stop-loss leg's limit sits this far below its stop price: room for the market to
# fill it after a gap through the stop (a stop-limit that cannot fill protects nothing).
STOP_LIMIT_OFFSET = Decimal("0.005")
# A venue list is replaced for a trailing stop only when the stop rose by this many ATRs
# (or this fraction of the price without an ATR), and by at least one price tick:
# every replacement is a cancel plus a new list at the venue.
MIN_STOP_STEP_ATR = Decimal("0.25")
MIN_STOP_STEP_PCT = Decimal("0.0025")
# Exit sells the venue refused in a row (no funds, a filter) before the next one waits
# REFUSED_SELL_PAUSE_S instead of the watch interval: retried, but not hammered.
REFUSED_SELLS_BEFORE_BACKOFF = 3
REFUSED_SELL_PAUSE_S = 60.0


def exits_key(snapshot: PositionSnapshot) -> str:
    return f"position:{snapshot.position.id}:exits:{len(snapshot.list_statuses) + 1}"


def sell_key(snapshot: PositionSnapshot) -> str:
    sells = sum(1 for o in snapshot.orders if o.leg == EXIT_LEG)
    return f"position:{snapshot.position.id}:exit:{sells + 1}"


def decide_position(config: SignalConfig, snapshot: PositionSnapshot) -> PositionDecision:
    position = snapshot.position
    if position.status is PositionStatus.CLOSED:
        return PositionDecision(keep_watching=False)
    if snapshot.kill_switch:
        return _paused("a kill switch is engaged: nothing is placed or sold until it is"
                       " released and the bot started again")  # fmt: skip
    if fills_in_flight(snapshot):
        # The sizes come from fills; deciding on them now would close a position whose
        # entry just filled, or sell again what was just sold. The next step sees them.
        return PositionDecision()
    if position.status is PositionStatus.CLOSING:
        return _closing(config, snapshot, position.close_reason or SOLD)
    if not snapshot.bot_running:
        return _paused("the bot is not running: the position is no longer watched until the"
                       " bot starts again")  # fmt: skip
    return _open(config, snapshot)


def fills_in_flight(snapshot: PositionSnapshot) -> bool:
    """An order row ahead of its fills: the pipeline wrote its filled amount (from the
    venue's order answer) before the trades behind it (fetched after, or repaired by the
    reconciliation)."""
    position = snapshot.position
    bought = sum(o.filled for o in snapshot.orders if o.side is OrderSide.BUY)
    sold = sum(o.filled for o in snapshot.orders if o.side is OrderSide.SELL)
    return bought > position.entry_amount or sold > position.entry_amount - position.size


def _paused(why: str) -> PositionDecision:
    return PositionDecision(events=(Event(PositionEventKind.NOTE, f"paused: {why}"),),
                            keep_watching=False)  # fmt: skip


def _open(config: SignalConfig, snapshot: PositionSnapshot) -> PositionDecision:
    position = snapshot.position
    entries_live = bool(snapshot.live(ENTRY_LEG))
    if position.holding <= 0:
        if entries_live:
            return PositionDecision()  # the entry is on its way
        if position.entry_amount <= 0:
            return _finish(snapshot, ENTRY_NOT_FILLED)
        return _finish(snapshot, _reason_from_fills(snapshot))
    try:
        levels = update_levels(config, position, snapshot.best_bid)
    except LevelsUnavailable as exc:
        return _paused(f"no protective levels: {exc}")
    protection, events = levels.protection, levels.events
    changed = protection != Protection(
        position.stop_price, position.take_profit_price, position.trail_anchor
    )
    written = protection if changed else None

    trigger = _crossed(snapshot, protection)
    watched = _watched(snapshot, protection)
    if trigger is not None and (watched or not snapshot.live(*EXIT_LIST_LEGS)):
        reason, detail = trigger
        closing = _closing(config, snapshot, reason)
        return PositionDecision(
            protection=written, closing_reason=reason, cancel=closing.cancel,
            sell=closing.sell, close_reason=closing.close_reason,
            events=(*events, Event(PositionEventKind.EXIT_TRIGGERED, detail),
                    Event(PositionEventKind.CLOSING, reason), *closing.events),
        )  # fmt: skip
    if watched:
        note = _watch_note(snapshot, protection, events)
        return PositionDecision(protection=written, events=(*events, *note))
    return _venue_exits(snapshot, protection, written, events)


def _watched(snapshot: PositionSnapshot, protection: Protection) -> bool:
    return (
        snapshot.position.exit_mode is ExitMode.WATCHED
        or snapshot.last_list_refusal is not None
        or protection.take_profit_price is None
    )


def _watch_note(
    snapshot: PositionSnapshot, protection: Protection, events: tuple[Event, ...]
) -> tuple[Event, ...]:
    """Say once (with the first levels) why a venue-mode position is watched instead."""
    if snapshot.position.exit_mode is ExitMode.WATCHED or not any(
        e.kind is PositionEventKind.EXITS_PLACED for e in events
    ):
        return ()
    if protection.take_profit_price is None:
        why = "no take-profit to pair the stop with in a venue order list"
    else:
        why = f"the venue refused the exit list ({snapshot.last_list_refusal})"
    return (Event(PositionEventKind.NOTE, f"exits watched by the worker: {why}"),)


def _crossed(snapshot: PositionSnapshot, protection: Protection) -> tuple[str, str] | None:
    bid = snapshot.best_bid
    if bid is None:
        return None
    if protection.stop_price is not None and bid <= protection.stop_price:
        return STOP_LOSS, f"best bid {bid} at or below the stop {protection.stop_price}"
    tp = protection.take_profit_price
    if tp is not None and bid >= tp:
        return TAKE_PROFIT, f"best bid {bid} at or above the take-profit {tp}"
    return None


def _venue_exits(
    snapshot: PositionSnapshot,
    protection: Protection,
    written: Protection | None,
    events: tuple[Event, ...],
) -> PositionDecision:
    market = snapshot.market
    if market is None:
        return PositionDecision(protection=written, events=events)  # no rules: next step
    legs = snapshot.live(*EXIT_LIST_LEGS)
    amount = round_to_step(snapshot.position.holding, market.amount_step)
    assert protection.stop_price is not None
    assert protection.take_profit_price is not None
    stop = round_to_step(protection.stop_price, market.price_tick)
    tp = round_to_step(protection.take_profit_price, market.price_tick, up=True)
    if legs:
        replace = _out_of_date(snapshot, amount, stop, tp)
        if replace is None:
            return PositionDecision(protection=written, events=events)
        cancel = tuple(o.id for o in legs if not o.cancel_requested)
        note = Event(PositionEventKind.NOTE, f"replacing the exit list: {replace}")
        return PositionDecision(protection=written, cancel=cancel,
                                events=(*events, note) if cancel else events)  # fmt: skip
    if amount <= 0 or (market.min_amount is not None and amount < market.min_amount):
        return PositionDecision(
            protection=written,
            events=(*events, Event(PositionEventKind.NOTE,
                                   f"size {snapshot.position.holding} is below the venue minimum:"
                                   " no exit list")),
        )  # fmt: skip
    plan = OcoPlan(
        amount=amount,
        take_profit_price=tp,
        stop_price=stop,
        stop_limit_price=round_to_step(stop * (1 - STOP_LIMIT_OFFSET), market.price_tick),
        idempotency_key=exits_key(snapshot),
    )
    placed_before = any(s is OrderListStatus.PLACED for s in snapshot.list_statuses)
    if placed_before:
        detail = f"{amount}: take-profit {tp}, stop {stop}"
        events = (*events, Event(PositionEventKind.EXITS_REPLACED, detail, stop_to=stop))
    return PositionDecision(protection=written, place_exits=plan, events=events)


def _out_of_date(
    snapshot: PositionSnapshot,
    amount: Decimal,
    stop: Decimal,
    tp: Decimal,
) -> str | None:
    """Why the live list no longer fits the position; None while it fits or while it is
    busy (not yet at the venue, being canceled, or executing: a leg has filled)."""
    live = snapshot.live(*EXIT_LIST_LEGS)
    if any(o.cancel_requested or o.status.is_pre_venue or o.filled > 0 for o in live):
        return None
    stop_leg = next((o for o in live if o.leg == STOP_LOSS_LEG), None)
    tp_leg = next((o for o in live if o.leg == TAKE_PROFIT_LEG), None)
    if stop_leg is None or tp_leg is None:
        return "one leg of the list is gone"
    if stop_leg.remaining != amount:
        return f"size {amount}, the list covers {stop_leg.remaining}"
    if tp_leg.price != tp:
        return f"take-profit {tp}, the list has {tp_leg.price}"
    assert snapshot.market is not None
    assert stop_leg.stop_price is not None
    step = _min_stop_step(snapshot, stop_leg.stop_price)
    if stop - stop_leg.stop_price >= step:
        return f"stop {stop}, the list has {stop_leg.stop_price}"
    return None


def _min_stop_step(snapshot: PositionSnapshot, current: Decimal) -> Decimal:
    assert snapshot.market is not None
    atr = snapshot.position.atr
    step = atr * MIN_STOP_STEP_ATR if atr is not None else current * MIN_STOP_STEP_PCT
    return max(step, snapshot.market.price_tick)


def _reason_from_fills(snapshot: PositionSnapshot) -> str:
    """Which exit sold the position: the last exit order with a fill."""
    for order in reversed(snapshot.orders):
        if order.filled > 0 and order.leg in (STOP_LOSS_LEG, TAKE_PROFIT_LEG):
            return STOP_LOSS if order.leg == STOP_LOSS_LEG else TAKE_PROFIT
    return SOLD


def _finish(snapshot: PositionSnapshot, reason: str) -> PositionDecision:
    """Closed once nothing is live; until then, cancel what is."""
    live = snapshot.live()
    if live:
        return PositionDecision(cancel=tuple(o.id for o in live if not o.cancel_requested))
    detail = f"{reason}: realized from fills"
    return PositionDecision(close_reason=reason, keep_watching=False,
                            events=(Event(PositionEventKind.CLOSED, detail),))  # fmt: skip


def _closing(config: SignalConfig, snapshot: PositionSnapshot, reason: str) -> PositionDecision:
    position = snapshot.position
    # An exit sell is a limit IOC: it ends by itself within its venue call.
    to_cancel = tuple(o.id for o in snapshot.live() if o.leg != EXIT_LEG and not o.cancel_requested)
    if snapshot.live():
        return PositionDecision(cancel=to_cancel)
    if position.holding <= 0:
        return _finish(snapshot, reason)
    market, bid = snapshot.market, snapshot.best_bid
    if market is None or bid is None:
        return PositionDecision()  # no fresh market: sell on a later step
    amount = round_to_step(position.holding, market.amount_step)
    # Below the bid by the bot's slippage bound, so the IOC takes the book's top levels.
    price = round_to_step(bid * (1 - config.max_slippage_bps / BPS), market.price_tick)
    too_small = (
        amount <= 0
        or (market.min_amount is not None and amount < market.min_amount)
        or (market.min_notional is not None and amount * price < market.min_notional)
    )
    if too_small:
        dust = f"{position.holding} left is below the venue's minimum order: kept as dust"
        note = Event(PositionEventKind.NOTE, dust)
        closed = _finish(snapshot, reason)
        return PositionDecision(close_reason=closed.close_reason, keep_watching=False,
                                events=(note, *closed.events))  # fmt: skip
    sell = SellPlan(amount, price, sell_key(snapshot))
    refused = _refused_sells_in_a_row(snapshot)
    if refused < REFUSED_SELLS_BEFORE_BACKOFF:
        return PositionDecision(sell=sell)
    note = Event(
        PositionEventKind.NOTE,
        f"the venue refused the last {refused} exit sells: the next in {REFUSED_SELL_PAUSE_S:.0f}s",
    )
    events = (note,) if refused == REFUSED_SELLS_BEFORE_BACKOFF else ()
    return PositionDecision(sell=sell, events=events, next_in_s=REFUSED_SELL_PAUSE_S)


def _refused_sells_in_a_row(snapshot: PositionSnapshot) -> int:
    count = 0
    for order in reversed([o for o in snapshot.orders if o.leg == EXIT_LEG]):
        if order.status is not OrderStatus.REJECTED or order.filled > 0:
            break
        count += 1
    return count
