"""The spread bot's decision: quotes at mid ± spread/2 per level, leaning toward an
inventory target, refreshed when they drift. Pure: a snapshot in, a Decision out.

Skew: with the base asset's value share `s` and target `t`, the deviation is scaled to
[-1, 1] ((s - t) / (1 - t) above the target, (s - t) / t below) and both quotes move by
`-inventory_skew_bps * deviation` (bps of the mid): too much base lowers them (the ask gets
hit sooner, the bid later), too little raises them. The lean is capped at spread/2 so a
bid never goes above the mid nor an ask below it.

A requote never doubles the book: a side with any order whose cancel is requested (now
or earlier) but not yet confirmed by the venue places nothing until it is, and says so
in the skips; the next tick comes sooner (CANCEL_RECHECK_S) to put the replacements up
once the venue confirms. So a side never has more than `levels` orders live at the
venue, counting the ones on their way out, and a stale quote cannot fill next to its
replacement.
"""

from __future__ import annotations

from decimal import Decimal

from shared.bots.config import SpreadConfig
from shared.domain import OrderSide
from shared.exchange.precision import round_to_step
from worker.bots.model import (
    BPS,
    Decision,
    LiveOrder,
    PlannedOrder,
    Snapshot,
    base_value_share,
    fmt,
    venue_minimum_problem,
)

# How soon a tick comes back when a side waits for the venue to confirm its cancels.
CANCEL_RECHECK_S = 2.0


def side_label(side: OrderSide) -> str:
    return "bid" if side is OrderSide.BUY else "ask"


def leg_name(side: OrderSide, level: int) -> str:
    return f"{side_label(side)}-{level}"


def skew_bps(config: SpreadConfig, snapshot: Snapshot) -> Decimal:
    """How far (bps of the mid) both quotes move up (+) or down (-) for inventory."""
    if config.inventory_skew_bps == 0:
        return Decimal(0)
    share = base_value_share(snapshot)
    if share is None:
        return Decimal(0)
    target = config.inventory_target
    deviation = share - target
    room = (1 - target) if deviation > 0 else target
    scaled = max(Decimal(-1), min(Decimal(1), deviation / room)) if room > 0 else Decimal(0)
    cap = config.spread_bps / 2
    return max(-cap, min(cap, -config.inventory_skew_bps * scaled))


def target_quotes(config: SpreadConfig, snapshot: Snapshot) -> tuple[list[PlannedOrder], list[str]]:
    """Where the quotes should be, rounded to the venue; and the legs that cannot be."""
    market, mid = snapshot.view.market, snapshot.view.mid
    lean = skew_bps(config, snapshot) / BPS
    amount = round_to_step(config.order_size, market.amount_step)
    wanted: list[PlannedOrder] = []
    skips: list[str] = []
    low = max((p for p in (config.min_price, market.min_price) if p is not None), default=None)
    high = min((p for p in (config.max_price, market.max_price) if p is not None), default=None)
    for level in range(1, config.levels + 1):
        offset = config.spread_bps / 2 * level / BPS
        for side in (OrderSide.BUY, OrderSide.SELL):
            leg = leg_name(side, level)
            if side is OrderSide.BUY:  # rounded away from the mid: never tighter than asked
                price = round_to_step(mid * (1 + lean - offset), market.price_tick)
            else:
                price = round_to_step(mid * (1 + lean + offset), market.price_tick, up=True)
            problem = venue_minimum_problem(market, amount, price) if price > 0 else "price <= 0"
            if problem is None and low is not None and price < low:
                problem = f"price {fmt(price)} is below the minimum price {fmt(low)}"
            if problem is None and high is not None and price > high:
                problem = f"price {fmt(price)} is above the maximum price {fmt(high)}"
            if problem is not None:
                skips.append(f"{leg} not quoted: {problem}")
                continue
            wanted.append(PlannedOrder(leg=leg, side=side, price=price, amount=amount))
    return wanted, skips


def decide_spread(config: SpreadConfig, snapshot: Snapshot) -> Decision:
    market, mid = snapshot.view.market, snapshot.view.mid
    wanted, skips = target_quotes(config, snapshot)
    by_leg = {order.leg: order for order in wanted}
    tolerance = config.drift_tolerance_bps

    kept: dict[str, LiveOrder] = {}
    cancel: list[LiveOrder] = []
    for order in snapshot.quotes:
        target = by_leg.get(order.leg)
        if (
            target is None
            or order.leg in kept
            or order.side is not target.side
            or order.price is None
            or abs(order.price - target.price) / mid * BPS > tolerance
        ):
            cancel.append(order)
        else:
            kept[order.leg] = order

    # Orders on their way out, per side: asked to cancel by an earlier tick (not yet
    # confirmed, as they are still live) or by this one.
    leaving: dict[OrderSide, int] = {OrderSide.BUY: 0, OrderSide.SELL: 0}
    for order in (*cancel, *(o for o in snapshot.orders if o.cancel_requested)):
        leaving[order.side] += 1
    waiting: set[OrderSide] = set()
    for side, count in leaving.items():
        if count and any(p.side is side and p.leg not in kept for p in wanted):
            waiting.add(side)
            skips.append(
                f"{side_label(side)} side waits: {count} cancel(s) not yet confirmed by the venue"
            )

    # Funds for new quotes: the venue's free balance minus what our own not-yet-sent
    # orders will lock when they reach the venue (a cancel releases nothing before the
    # venue confirms it, and a side with cancels pending places nothing anyway).
    def reserve(order: LiveOrder) -> Decimal:
        if order.side is OrderSide.BUY:
            return order.remaining * (order.price or mid)
        return order.remaining

    available = {
        side: snapshot.free(market.quote if side is OrderSide.BUY else market.base)
        - sum((reserve(o) for o in kept.values() if o.side is side and not o.at_venue), Decimal(0))
        for side in (OrderSide.BUY, OrderSide.SELL)
    }
    place: list[PlannedOrder] = []
    paused = set(waiting)
    for planned in wanted:
        if planned.leg in kept or planned.side in paused:
            continue
        asset = market.quote if planned.side is OrderSide.BUY else market.base
        need = planned.amount * planned.price if planned.side is OrderSide.BUY else planned.amount
        if need > available[planned.side]:
            paused.add(planned.side)
            skips.append(
                f"{side_label(planned.side)} side paused: insufficient {asset} "
                f"(needs {fmt(need)}, available {fmt(max(available[planned.side], Decimal(0)))})"
            )
            continue
        available[planned.side] -= need
        place.append(planned)
    refresh_s = float(config.refresh_interval_s)
    return Decision(
        next_tick_in_s=min(refresh_s, CANCEL_RECHECK_S) if waiting else refresh_s,
        place=tuple(place),
        cancel=tuple(o.id for o in cancel),
        skips=tuple(skips),
    )
