"""Bot configuration: one msgspec Struct per bot kind, validated on every write.

The web validates a config before storing it in `bots.config` (JSONB); the worker parses
the stored JSON with the same function before each tick. Money fields are `Decimal` in
Python and decimal *strings* in JSON (floats are refused, see `shared.validation`).
Errors name the field as a dotted path under `config.`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from shared.domain import BotKind
from shared.validation import FieldValidationError, decimal_text, parse_decimal

_BPS_MAX = Decimal(10_000)  # 100 %


class SpreadConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Quote both sides around the mid, refresh drifted quotes, lean toward an inventory target."""

    # Distance between bid and ask, in basis points of the mid (the quotes sit at ±spread/2).
    spread_bps: Decimal
    # Size of each quote, in the base asset.
    order_size: Decimal
    # Quotes per side; level n sits n * spread/2 from the mid.
    levels: Annotated[int, Meta(ge=1, le=5)] = 1
    refresh_interval_s: Annotated[int, Meta(ge=1, le=3600)] = 10
    # A resting quote further than this from where it should be is cancelled and replaced.
    drift_tolerance_bps: Decimal = Decimal(5)
    # Wanted share of the base asset in the bot's inventory, by value (0.5 = 50/50).
    inventory_target: Decimal = Decimal("0.5")
    # How far the quotes lean (in bps) at full deviation from the target.
    inventory_skew_bps: Decimal = Decimal(0)
    # Never quote outside these prices (optional).
    min_price: Decimal | None = None
    max_price: Decimal | None = None


class VolumeConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Trade a daily notional in randomized slices within a band around the mid."""

    # Quote-asset notional to trade per UTC day.
    daily_notional_target: Decimal
    # Quote-asset notional of one slice, drawn uniformly in [min_slice, max_slice].
    min_slice: Decimal
    max_slice: Decimal
    # Seconds between slices, drawn uniformly in [min_interval_s, max_interval_s].
    min_interval_s: Annotated[int, Meta(ge=1, le=86_400)] = 30
    max_interval_s: Annotated[int, Meta(ge=1, le=86_400)] = 300
    # Slices are priced within ±band of the mid, in basis points.
    price_band_bps: Decimal = Decimal(10)
    # "alternate": buy, sell, buy…; "balance": the side that brings inventory back to 50/50.
    side_policy: Literal["alternate", "balance"] = "alternate"


class SignalConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Enter (buy) and exit (sell) on a strategy's signals, every position protected by a
    stop-loss and (optionally) a take-profit. Spot only."""

    # How much an entry buys:
    # fixed_quote: `quote_amount` of the quote asset;
    # balance_fraction: `balance_fraction` of the free quote balance;
    # risk: a `risk_fraction` of equity (quote + base at the mid) lost if the stop is hit,
    # i.e. size = equity * risk_fraction / stop distance.
    sizing: Literal["fixed_quote", "balance_fraction", "risk"]
    quote_amount: Decimal | None = None
    balance_fraction: Decimal | None = None
    risk_fraction: Decimal | None = None
    # ATR (average true range) over `atr_length` venue candles of `atr_interval`: the
    # unit of ATR-based stops, take-profits and trails.
    atr_interval: Literal["1m", "5m", "15m", "1h", "4h", "1d"] = "1h"
    atr_length: Annotated[int, Meta(ge=2, le=200)] = 14
    # The stop sits stop_atr_multiple ATRs (or stop_loss_pct percent) below the entry;
    # exactly one of the two.
    stop_atr_multiple: Decimal | None = None
    stop_loss_pct: Decimal | None = None
    # The take-profit sits take_profit_atr_multiple ATRs (or take_profit_pct percent)
    # above the entry; neither: no take-profit (the stop, an exit signal or a stop closes).
    take_profit_atr_multiple: Decimal | None = None
    take_profit_pct: Decimal | None = None
    # Trailing stop: the stop follows the highest price since entry at this distance,
    # and only ever moves up.
    trailing: Literal["none", "atr", "pct"] = "none"
    trailing_atr_multiple: Decimal | None = None
    trailing_pct: Decimal | None = None
    # The position never grows past this value (quote asset, at the entry price).
    max_position_quote: Decimal
    # An entry whose price would be further than this from the signal's reference price
    # is not sent (the reason is recorded); the entry is a limit IOC at that bound.
    max_slippage_bps: Decimal = Decimal(50)
    # venue: an OCO order list at the venue (refused where the venue has none); watched:
    # the worker watches the market and sends the exit; auto: venue where it can.
    exit_mode: Literal["auto", "venue", "watched"] = "auto"
    # Seconds between the position checks of a bot with an open position.
    watch_interval_s: Annotated[int, Meta(ge=1, le=60)] = 2


BotConfig = SpreadConfig | VolumeConfig | SignalConfig

CONFIG_TYPES: dict[BotKind, type[SpreadConfig] | type[VolumeConfig] | type[SignalConfig]] = {
    BotKind.SPREAD: SpreadConfig,
    BotKind.VOLUME: VolumeConfig,
    BotKind.SIGNAL: SignalConfig,
}

_AT_PATH = re.compile(r" - at `\$\.?([^`]*)`\Z")
_NAMED_FIELD = re.compile(r"field `([^`]+)`")


def parse_bot_config(kind: BotKind, raw: object) -> BotConfig:
    """Validate `raw` (decoded JSON) for `kind`; raises FieldValidationError naming the field."""
    config_type = CONFIG_TYPES[kind]
    if not isinstance(raw, Mapping):
        raise FieldValidationError("config", "must be a JSON object")
    values = dict(raw)
    for name in _decimal_fields(config_type):
        if name in values and values[name] is not None:
            # Check the wire form before msgspec sees it: msgspec accepts floats for Decimal.
            values[name] = str(parse_decimal(values[name], f"config.{name}", allow_zero=True))
    try:
        config = msgspec.convert(values, config_type, strict=True)
    except msgspec.ValidationError as exc:
        raise _field_error(str(exc)) from None
    _check_rules(config)
    return config


def config_to_json(config: BotConfig) -> dict[str, Any]:
    """The JSONB form stored in `bots.config` (decimals as plain strings, as the API
    spells them: msgspec alone would write "1E-8")."""
    encoded: dict[str, Any] = msgspec.to_builtins(config)
    for name in _decimal_fields(type(config)):
        value = getattr(config, name)
        if value is not None:
            encoded[name] = decimal_text(value)
    return encoded


def _decimal_fields(config_type: type[msgspec.Struct]) -> list[str]:
    return [
        field.name
        for field in msgspec.structs.fields(config_type)
        if field.type in (Decimal, Decimal | None)
    ]


def _field_error(message: str) -> FieldValidationError:
    path = ""
    if match := _AT_PATH.search(message):
        path = match.group(1)
        message = message[: match.start()]
    elif named := _NAMED_FIELD.search(message):
        # "Object missing required field `x`" / "Object contains unknown field `x`"
        path = named.group(1)
    field = f"config.{path}" if path else "config"
    return FieldValidationError(field, message)


def _positive(value: Decimal, field: str) -> None:
    if value <= 0:
        raise FieldValidationError(f"config.{field}", "must be greater than 0")


def _fraction(value: Decimal, field: str) -> None:
    if not 0 < value <= 1:
        raise FieldValidationError(f"config.{field}", "must be greater than 0 and at most 1")


def _exactly_one(config: SignalConfig, names: tuple[str, str], what: str) -> None:
    given = [name for name in names if getattr(config, name) is not None]
    if len(given) != 1:
        raise FieldValidationError(
            f"config.{names[0]}", f"give exactly one of {' and '.join(names)} ({what})"
        )


_SIZING_FIELD = {
    "fixed_quote": "quote_amount",
    "balance_fraction": "balance_fraction",
    "risk": "risk_fraction",
}
_TRAILING_FIELD = {"atr": "trailing_atr_multiple", "pct": "trailing_pct"}


def _check_signal_rules(config: SignalConfig) -> None:
    for name in (
        "quote_amount", "stop_atr_multiple", "stop_loss_pct", "take_profit_atr_multiple",
        "take_profit_pct", "trailing_atr_multiple", "trailing_pct", "max_position_quote",
    ):  # fmt: skip
        value = getattr(config, name)
        if value is not None:
            _positive(value, name)
    for name in ("balance_fraction", "risk_fraction"):
        value = getattr(config, name)
        if value is not None:
            _fraction(value, name)
    for name in ("stop_loss_pct", "take_profit_pct", "trailing_pct"):
        value = getattr(config, name)
        if value is not None and value >= 100:
            raise FieldValidationError(f"config.{name}", "must be below 100 (percent)")
    for sizing, name in _SIZING_FIELD.items():
        given = getattr(config, name) is not None
        if given != (config.sizing == sizing):
            needs = "is required" if not given else "applies only"
            raise FieldValidationError(f"config.{name}", f"{needs} when sizing is {sizing}")
    _exactly_one(config, ("stop_atr_multiple", "stop_loss_pct"), "the stop-loss distance")
    if config.take_profit_atr_multiple is not None and config.take_profit_pct is not None:
        raise FieldValidationError(
            "config.take_profit_pct", "give at most one of take_profit_atr_multiple and this"
        )
    for trailing, name in _TRAILING_FIELD.items():
        given = getattr(config, name) is not None
        if given != (config.trailing == trailing):
            needs = "is required" if not given else "applies only"
            raise FieldValidationError(f"config.{name}", f"{needs} when trailing is {trailing}")
    if config.max_slippage_bps < 0 or config.max_slippage_bps > _BPS_MAX:
        raise FieldValidationError("config.max_slippage_bps", "must be between 0 and 10000")


def _check_rules(config: BotConfig) -> None:
    if isinstance(config, SignalConfig):
        _check_signal_rules(config)
    elif isinstance(config, SpreadConfig):
        _positive(config.spread_bps, "spread_bps")
        _positive(config.order_size, "order_size")
        if config.spread_bps > _BPS_MAX:
            raise FieldValidationError("config.spread_bps", "must be at most 10000 (100 %)")
        if config.drift_tolerance_bps > _BPS_MAX:
            raise FieldValidationError("config.drift_tolerance_bps", "must be at most 10000")
        if config.inventory_skew_bps > _BPS_MAX:
            raise FieldValidationError("config.inventory_skew_bps", "must be at most 10000")
        if config.inventory_target > 1:
            raise FieldValidationError("config.inventory_target", "must be between 0 and 1")
        for name in ("min_price", "max_price"):
            price = getattr(config, name)
            if price is not None:
                _positive(price, name)
        if (
            config.min_price is not None
            and config.max_price is not None
            and config.min_price >= config.max_price
        ):
            raise FieldValidationError("config.max_price", "must be greater than min_price")
    else:
        _positive(config.daily_notional_target, "daily_notional_target")
        _positive(config.min_slice, "min_slice")
        _positive(config.max_slice, "max_slice")
        _positive(config.price_band_bps, "price_band_bps")
        if config.price_band_bps > _BPS_MAX:
            raise FieldValidationError("config.price_band_bps", "must be at most 10000")
        if config.min_slice > config.max_slice:
            raise FieldValidationError("config.max_slice", "must be at least min_slice")
        if config.max_slice > config.daily_notional_target:
            raise FieldValidationError("config.max_slice", "must not exceed daily_notional_target")
        if config.min_interval_s > config.max_interval_s:
            raise FieldValidationError("config.max_interval_s", "must be at least min_interval_s")
