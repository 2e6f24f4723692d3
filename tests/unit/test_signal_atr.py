"""Wilder's ATR over hand-computed candles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from shared.exchange.types import Candle
from shared.signals.atr import NotEnoughCandles, average_true_range, true_ranges

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def candles(*hlc: tuple[str, str, str]) -> list[Candle]:
    return [
        Candle(
            open_time=T0 + timedelta(hours=i),
            open=Decimal(close),
            high=Decimal(high),
            low=Decimal(low),
            close=Decimal(close),
            volume=Decimal(1),
        )
        for i, (high, low, close) in enumerate(hlc)
    ]


def test_true_range_counts_the_gap_from_the_previous_close() -> None:
    series = candles(("10", "9", "10"), ("13", "12", "12.5"), ("12", "11", "11"), ("12", "8", "9"))
    # high - low 1, but the gap up from 10 makes it 3; the gap down from 12.5 makes it 1.5;
    # the plain range 4 wins over both gaps.
    assert true_ranges(series) == [Decimal(3), Decimal("1.5"), Decimal(4)]


def test_seed_is_the_simple_mean_of_the_first_length_ranges() -> None:
    series = candles(("10", "9", "10"), ("13", "12", "12.5"), ("12", "11", "11"))
    assert average_true_range(series, 2) == Decimal("2.25")


def test_later_ranges_are_smoothed_wilder_style() -> None:
    series = candles(("10", "9", "10"), ("13", "12", "12.5"), ("12", "11", "11"), ("12", "8", "9"))
    # seed (3 + 1.5) / 2 = 2.25, then (2.25 * 1 + 4) / 2 = 3.125
    assert average_true_range(series, 2) == Decimal("3.125")


def test_constant_range_gives_that_range() -> None:
    series = candles(*[("101", "99", "100")] * 30)
    assert average_true_range(series, 14) == Decimal(2)


def test_too_few_candles_is_an_error_not_a_guess() -> None:
    with pytest.raises(NotEnoughCandles, match="needs 15 candles"):
        average_true_range(candles(*[("101", "99", "100")] * 14), 14)
