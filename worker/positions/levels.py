"""Where a position's stop and take-profit sit: from the average entry price, ATR or
percent, and the trailing stop that only ever moves up (spot longs only)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shared.bots.config import SignalConfig
from shared.domain import PositionEventKind
from worker.positions.model import Event, PositionView, Protection

HUNDRED = Decimal(100)


class LevelsUnavailable(Exception):
    """An ATR-based level with no ATR stored on the position."""


@dataclass(frozen=True, slots=True)
class LevelsUpdate:
    protection: Protection
    events: tuple[Event, ...]


def _distance(
    atr: Decimal | None, multiple: Decimal | None, pct: Decimal | None, price: Decimal
) -> Decimal | None:
    if multiple is not None:
        if atr is None:
            raise LevelsUnavailable("the position has no ATR for an ATR-based level")
        return atr * multiple
    if pct is not None:
        return price * pct / HUNDRED
    return None


def initial_stop(config: SignalConfig, avg_entry: Decimal, atr: Decimal | None) -> Decimal:
    distance = _distance(atr, config.stop_atr_multiple, config.stop_loss_pct, avg_entry)
    assert distance is not None  # the config requires exactly one stop distance
    return avg_entry - distance


def take_profit(config: SignalConfig, avg_entry: Decimal, atr: Decimal | None) -> Decimal | None:
    distance = _distance(atr, config.take_profit_atr_multiple, config.take_profit_pct, avg_entry)
    return None if distance is None else avg_entry + distance


def trailing_stop(config: SignalConfig, anchor: Decimal, atr: Decimal | None) -> Decimal | None:
    if config.trailing == "none":
        return None
    distance = _distance(atr, config.trailing_atr_multiple, config.trailing_pct, anchor)
    return None if distance is None else anchor - distance


def update_levels(
    config: SignalConfig, position: PositionView, best_bid: Decimal | None
) -> LevelsUpdate:
    """The levels for the position as it stands (size > 0, so an average entry exists).

    The stop is the highest of: where it is, where the entry puts it, where the trail
    puts it — so it never moves down, whatever the market or a new entry does. The
    take-profit follows the average entry (another entry moves it). Raises
    LevelsUnavailable."""
    avg = position.avg_entry_price
    assert avg is not None
    atr = position.atr
    anchor = max(position.trail_anchor or avg, avg)
    if best_bid is not None and best_bid > anchor:
        anchor = best_bid
    candidates = [initial_stop(config, avg, atr)]
    trail = trailing_stop(config, anchor, atr)
    if trail is not None:
        candidates.append(trail)
    if position.stop_price is not None:
        candidates.append(position.stop_price)
    stop = max(candidates)
    if stop <= 0:
        raise LevelsUnavailable(f"the stop distance puts the stop at {stop}, at or below zero")
    protection = Protection(
        stop_price=stop,
        take_profit_price=take_profit(config, avg, atr),
        trail_anchor=anchor if config.trailing != "none" else position.trail_anchor,
    )
    events: list[Event] = []
    if position.stop_price is None:
        tp = protection.take_profit_price
        events.append(
            Event(
                PositionEventKind.EXITS_PLACED,
                detail=f"stop {stop}, take-profit {tp if tp is not None else 'none'}"
                f" from the average entry {avg} ({position.exit_mode.value})",
                stop_to=stop,
            )
        )
    elif stop > position.stop_price:
        events.append(
            Event(
                PositionEventKind.STOP_MOVED,
                detail=f"trail anchor {anchor}",
                stop_from=position.stop_price,
                stop_to=stop,
            )
        )
    return LevelsUpdate(protection, tuple(events))
