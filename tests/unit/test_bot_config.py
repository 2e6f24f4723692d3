"""Bot config validation (shared.bots.config): errors name the field (no I/O)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shared.bots.config import SpreadConfig, VolumeConfig, config_to_json, parse_bot_config
from shared.domain import BotKind
from shared.validation import FieldValidationError

SPREAD = {"spread_bps": "25", "order_size": "0.010"}
VOLUME = {"daily_notional_target": "10000", "min_slice": "10", "max_slice": "50"}


def test_defaults_and_round_trip() -> None:
    config = parse_bot_config(BotKind.SPREAD, SPREAD)
    assert isinstance(config, SpreadConfig)
    assert (config.levels, config.refresh_interval_s) == (1, 10)
    assert config.inventory_target == Decimal("0.5")
    assert config.order_size == Decimal("0.01")
    stored = config_to_json(config)
    assert stored["order_size"] == "0.01"  # decimals stored as strings
    assert parse_bot_config(BotKind.SPREAD, stored) == config
    volume = parse_bot_config(BotKind.VOLUME, VOLUME)
    assert isinstance(volume, VolumeConfig)
    assert volume.side_policy == "alternate"


@pytest.mark.parametrize(
    ("kind", "raw", "field"),
    [
        (BotKind.SPREAD, {**SPREAD, "spread_bps": 25}, "config.spread_bps"),
        (BotKind.SPREAD, {**SPREAD, "spread_bps": 25.5}, "config.spread_bps"),
        (BotKind.SPREAD, {**SPREAD, "order_size": "NaN"}, "config.order_size"),
        (BotKind.SPREAD, {**SPREAD, "order_size": "-0.1"}, "config.order_size"),
        (BotKind.SPREAD, {**SPREAD, "order_size": "0"}, "config.order_size"),
        (BotKind.SPREAD, {**SPREAD, "levels": 0}, "config.levels"),
        (BotKind.SPREAD, {**SPREAD, "levels": 6}, "config.levels"),
        (BotKind.SPREAD, {**SPREAD, "levels": "2"}, "config.levels"),
        (BotKind.SPREAD, {**SPREAD, "inventory_target": "1.01"}, "config.inventory_target"),
        (BotKind.SPREAD, {**SPREAD, "spread_bps": "10001"}, "config.spread_bps"),
        (BotKind.SPREAD, {**SPREAD, "min_price": "2", "max_price": "1"}, "config.max_price"),
        (BotKind.SPREAD, {**SPREAD, "colour": "blue"}, "config.colour"),
        (BotKind.SPREAD, {"order_size": "1"}, "config.spread_bps"),
        (BotKind.SPREAD, ["not", "an", "object"], "config"),
        (BotKind.VOLUME, {**VOLUME, "max_slice": "5"}, "config.max_slice"),
        (BotKind.VOLUME, {**VOLUME, "max_slice": "20000"}, "config.max_slice"),
        (
            BotKind.VOLUME,
            {**VOLUME, "min_interval_s": 60, "max_interval_s": 30},
            "config.max_interval_s",
        ),
        (BotKind.VOLUME, {**VOLUME, "side_policy": "random"}, "config.side_policy"),
        (BotKind.VOLUME, SPREAD, "config.spread_bps"),  # a spread config is no volume config
    ],
)
def test_errors_name_the_field(kind: BotKind, raw: Any, field: str) -> None:
    with pytest.raises(FieldValidationError) as excinfo:
        parse_bot_config(kind, raw)
    assert excinfo.value.field == field
    assert str(excinfo.value).startswith(field + ":")
