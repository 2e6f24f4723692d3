"""The volume bot's decision: one randomized slice per tick toward a daily notional,
priced as a marketable IOC limit within the band around the mid, never crossing the
bot's own resting orders. Pure: a snapshot in, a Decision out.

Randomness comes from `random.Random(seed)` with a seed derived from (bot, tick), so a
re-run of a tick draws the same slice and the same delay.

Inventory outside the band around 50/50 decides the side whatever `side_policy` says;
when that overrides `alternate`, the tick says so in its skips (the skipped side and
why), so a bot that only buys or only sells explains itself in GET /v1/bots/{id}.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from shared.bots.config import VolumeConfig
from shared.domain import OrderSide, TimeInForce
from shared.exchange.precision import round_to_step
from worker.bots.model import (
    BPS,
    Decision,
    PlannedOrder,
    Snapshot,
    base_value_share,
    fmt,
    venue_minimum_problem,
)

SLICE_LEG = "slice"
# Inventory band around 50/50 by value: beyond it, the next slice always rebalances,
# whatever the side policy says.
INVENTORY_BAND = Decimal("0.10")
NEUTRAL = Decimal("0.5")


@dataclass(frozen=True, slots=True)
class VolumeProgress:
    traded_today: Decimal  # quote notional of the bot's fills since UTC midnight
    last_side: OrderSide | None  # side of the bot's newest order
    now: datetime


def start_of_day(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)


def seconds_to_next_day(now: datetime) -> float:
    return (start_of_day(now) + timedelta(days=1) - now).total_seconds()


@dataclass(frozen=True, slots=True)
class SideChoice:
    side: OrderSide
    # Why the configured policy was not followed (the inventory band won), if it was not.
    overridden: str | None = None


def choose_side(
    config: VolumeConfig, snapshot: Snapshot, last_side: OrderSide | None
) -> SideChoice:
    share = base_value_share(snapshot)
    if config.side_policy == "balance":
        # The band agrees with this policy: both sell when long base and buy when short.
        return SideChoice(
            OrderSide.SELL if share is not None and share > NEUTRAL else OrderSide.BUY
        )
    alternate = OrderSide.SELL if last_side is OrderSide.BUY else OrderSide.BUY
    if share is None or abs(share - NEUTRAL) <= INVENTORY_BAND:
        return SideChoice(alternate)
    forced = OrderSide.SELL if share > NEUTRAL else OrderSide.BUY
    if forced is alternate:
        return SideChoice(forced)
    market = snapshot.view.market
    return SideChoice(
        forced,
        f"{alternate.value} slice skipped (side_policy alternate): the inventory is "
        f"{percent(share)} {market.base} by value, outside the {percent(NEUTRAL - INVENTORY_BAND)}"
        f"-{percent(NEUTRAL + INVENTORY_BAND)} band; the bot {forced.value}s until it is back "
        "inside",
    )


def percent(share: Decimal) -> str:
    return f"{fmt(round(share * 100, 1))}%"


def self_cross_problem(snapshot: Snapshot, side: OrderSide, price: Decimal) -> str | None:
    """A buy must stay below the bot's lowest resting sell, a sell above its highest buy.
    Orders being canceled count: they may still rest at the venue."""
    opposite = [
        o.price
        for o in snapshot.orders
        if o.side is not side and o.price is not None and o.remaining > 0
    ]
    if not opposite:
        return None
    if side is OrderSide.BUY and price >= (lowest := min(opposite)):
        return f"buy at {fmt(price)} would cross the bot's own sell at {fmt(lowest)}"
    if side is OrderSide.SELL and price <= (highest := max(opposite)):
        return f"sell at {fmt(price)} would cross the bot's own buy at {fmt(highest)}"
    return None


def _uniform(rng: random.Random, low: Decimal, high: Decimal) -> Decimal:
    return low + (high - low) * Decimal(repr(rng.random()))


def decide_volume(
    config: VolumeConfig, snapshot: Snapshot, progress: VolumeProgress, seed: str
) -> Decision:
    rng = random.Random(seed)  # noqa: S311 - pacing, not a secret
    # Draw both up front, so what is drawn never depends on which branch runs.
    delay = rng.uniform(config.min_interval_s, config.max_interval_s)
    drawn_slice = _uniform(rng, config.min_slice, config.max_slice)

    market, mid = snapshot.view.market, snapshot.view.mid
    in_flight = sum(
        (o.remaining * (o.price or mid) for o in snapshot.orders if not o.cancel_requested),
        Decimal(0),
    )
    remaining = config.daily_notional_target - progress.traded_today - in_flight
    floor = market.min_notional or Decimal(0)
    if remaining <= 0 or remaining < floor:
        return Decision(
            next_tick_in_s=min(seconds_to_next_day(progress.now), float(config.max_interval_s)),
            skips=(
                f"daily target reached: traded {fmt(progress.traded_today)} of "
                f"{fmt(config.daily_notional_target)} {market.quote} today",
            ),
        )
    notional = min(drawn_slice, remaining)

    choice = choose_side(config, snapshot, progress.last_side)
    side = choice.side
    notes = (choice.overridden,) if choice.overridden else ()
    band = config.price_band_bps / BPS
    if side is OrderSide.BUY:  # marketable, but never beyond the band
        price = round_to_step(mid * (1 + band), market.price_tick)
    else:
        price = round_to_step(mid * (1 - band), market.price_tick, up=True)
    amount = round_to_step(notional / price, market.amount_step)

    def skip(reason: str) -> Decision:
        return Decision(next_tick_in_s=delay, skips=(*notes, reason))

    if problem := venue_minimum_problem(market, amount, price):
        return skip(f"{side.value} slice not sent: {problem}")
    if problem := self_cross_problem(snapshot, side, price):
        return skip(f"{side.value} slice not sent: {problem}")
    asset = market.quote if side is OrderSide.BUY else market.base
    need = amount * price if side is OrderSide.BUY else amount
    if need > snapshot.free(asset):
        return skip(
            f"{side.value} slice paused: insufficient {asset} "
            f"(needs {fmt(need)}, free {fmt(snapshot.free(asset))})"
        )
    order = PlannedOrder(
        leg=SLICE_LEG, side=side, price=price, amount=amount, time_in_force=TimeInForce.IOC
    )
    return Decision(next_tick_in_s=delay, place=(order,), skips=notes)
