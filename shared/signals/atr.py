"""Average true range, Wilder's smoothing: the volatility unit of signal bots' stops,
take-profits, trails and risk sizing.

True range of a candle: max(high - low, |high - previous close|, |low - previous close|),
so a gap between candles counts. Wilder's ATR seeds with the simple mean of the first
`length` true ranges and then smooths each later one in: ATR = (ATR * (length - 1) + TR)
/ length. It is what charting tools show as "ATR (RMA)", so a stop placed at "2 ATR" here
matches the number the strategy's author saw. Pure: no I/O, Decimal throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise

from shared.exchange.types import Candle


class NotEnoughCandles(ValueError):
    """Fewer than length + 1 candles: the first true range needs a previous close."""


def true_ranges(candles: Sequence[Candle]) -> list[Decimal]:
    """One per candle after the first."""
    return [
        max(
            candle.high - candle.low,
            abs(candle.high - previous.close),
            abs(candle.low - previous.close),
        )
        for previous, candle in pairwise(candles)
    ]


def average_true_range(candles: Sequence[Candle], length: int) -> Decimal:
    """Wilder's ATR over `candles` (oldest first); every candle beyond length + 1 refines
    the smoothing. Raises NotEnoughCandles."""
    if length < 1:
        raise ValueError("length must be at least 1")
    ranges = true_ranges(candles)
    if len(ranges) < length:
        raise NotEnoughCandles(
            f"ATR({length}) needs {length + 1} candles, the venue gave {len(candles)}"
        )
    atr = sum(ranges[:length], Decimal(0)) / length
    for value in ranges[length:]:
        atr = (atr * (length - 1) + value) / length
    return atr
