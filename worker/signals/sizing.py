"""How much one entry signal buys for one bot, or why it buys nothing. Pure: no I/O.

The entry is a limit IOC buy at the slippage bound, reference * (1 + max_slippage_bps /
10000) rounded down to the price tick: it fills at the ask or better while the ask is
within the bound and never above it. When the ask is already beyond the bound the entry
is not sent at all (a skip with the numbers), so the sender sees why.

Size in quote, before the caps:
- fixed_quote: `quote_amount`;
- balance_fraction: `balance_fraction` of the free quote balance;
- risk: equity (quote total + base total at the mid) * risk_fraction is what the stop
  may lose; divided by the stop distance (stop_atr_multiple * ATR, or stop_loss_pct of
  the entry price) it is an amount of base.
Then capped by what the position may still grow (max_position_quote - its current value)
and by the free quote balance; the amount is rounded down to the venue's step and held
to its minimum amount and notional.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from shared.bots.config import SignalConfig
from shared.exchange.precision import round_to_step
from shared.exchange.types import Market
from shared.validation import decimal_text

BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class Balances:
    """The credential's balances of the market's two assets."""

    free_quote: Decimal
    total_quote: Decimal
    total_base: Decimal


@dataclass(frozen=True, slots=True)
class EntryInputs:
    reference_price: Decimal | None  # the signal's; None: the current ask stands in
    best_ask: Decimal
    mid: Decimal
    balances: Balances
    atr: Decimal | None
    position_value: Decimal  # the open position's size at the mid (0: none)
    market: Market
    # Why there is no ATR (the venue has no candles, too few of them), for the skip.
    atr_missing_reason: str = "the venue gave no candles"


@dataclass(frozen=True, slots=True)
class Entry:
    amount: Decimal
    price: Decimal  # the limit (IOC): the slippage bound on the price tick


@dataclass(frozen=True, slots=True)
class Skip:
    reason: str


def needs_atr(config: SignalConfig) -> bool:
    """The bot sizes, stops, takes profit or trails in ATRs."""
    return (
        config.stop_atr_multiple is not None
        or config.take_profit_atr_multiple is not None
        or config.trailing == "atr"
    )


def size_entry(config: SignalConfig, inputs: EntryInputs) -> Entry | Skip:
    market = inputs.market
    reference = inputs.reference_price or inputs.best_ask
    bound = reference * (1 + config.max_slippage_bps / BPS)
    if inputs.best_ask > bound:
        above_bps = ((inputs.best_ask - reference) / reference * BPS).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_EVEN
        )
        return Skip(
            f"slippage: ask {_text(inputs.best_ask)} is {_text(above_bps)} bps above the "
            f"reference {_text(reference)} (max {_text(config.max_slippage_bps)})"
        )
    price = round_to_step(bound, market.price_tick)
    if price <= 0:
        return Skip(f"slippage bound {_text(bound)} rounds to zero at tick {market.price_tick}")
    if needs_atr(config) and inputs.atr is None:
        return Skip(f"no ATR ({config.atr_length} x {config.atr_interval}): "
                    f"{inputs.atr_missing_reason}")  # fmt: skip

    room = config.max_position_quote - inputs.position_value
    if room <= 0:
        return Skip(
            f"max position reached: {_text(inputs.position_value)} of "
            f"{_text(config.max_position_quote)}"
        )
    free = inputs.balances.free_quote
    min_cost = market.min_notional or Decimal(0)
    if free <= 0 or free < min_cost:
        return Skip(f"insufficient quote balance: {_text(free)} {market.quote} free")

    wanted = _wanted_quote(config, inputs, price)
    quote = min(wanted, room, free)
    amount = round_to_step(quote / price, market.amount_step)
    if market.max_amount is not None and amount > market.max_amount:
        amount = round_to_step(market.max_amount, market.amount_step)
    if amount <= 0 or (market.min_amount is not None and amount < market.min_amount):
        return Skip(
            f"size below the venue minimum: amount {_text(amount)} < "
            f"{_text(market.min_amount or market.amount_step)} {market.base}"
        )
    if market.min_notional is not None and amount * price < market.min_notional:
        return Skip(
            f"size below the venue minimum: notional {_text(amount * price)} < "
            f"{_text(market.min_notional)} {market.quote}"
        )
    return Entry(amount=amount, price=price)


def _wanted_quote(config: SignalConfig, inputs: EntryInputs, price: Decimal) -> Decimal:
    if config.sizing == "fixed_quote":
        assert config.quote_amount is not None  # shared.bots.config checks it
        return config.quote_amount
    if config.sizing == "balance_fraction":
        assert config.balance_fraction is not None
        return inputs.balances.free_quote * config.balance_fraction
    assert config.risk_fraction is not None
    balances = inputs.balances
    equity = balances.total_quote + balances.total_base * inputs.mid
    at_risk = equity * config.risk_fraction
    return at_risk / stop_distance(config, price, inputs.atr) * price


def stop_distance(config: SignalConfig, price: Decimal, atr: Decimal | None) -> Decimal:
    """How far below the entry the stop sits."""
    if config.stop_atr_multiple is not None:
        if atr is None:
            raise ValueError("an ATR stop needs the ATR")
        return config.stop_atr_multiple * atr
    assert config.stop_loss_pct is not None  # exactly one of the two (config rules)
    return price * config.stop_loss_pct / 100


def _text(value: Decimal) -> str:
    return decimal_text(value)
