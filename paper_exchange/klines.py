"""Candles (``GET /api/v3/klines``) from the paper market's price path.

Two parts joined at the moment the symbol's market was created (``SymbolMarket.started_ms``):

* Before it, a synthetic history, so indicators over past candles (an ATR over 14 x 1h)
  have data at once. It is a pure function of the seed, the symbol and the minute
  (a few slow waves plus per-minute noise, all relative to the starting mid, ending
  exactly at it), so the same request gives the same candles every time.
* From then on, the mids the market really had (``SymbolMarket.samples``: every
  random-walk step and admin ``set_mid``), and the venue's own trades for volume.
  A candle with no sample repeats the last price before it.

Shape: Binance's 12-element arrays, prices and volumes as 8-decimal strings.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
import zlib
from decimal import Decimal
from typing import Any

from paper_exchange.market import SymbolMarket, round_to_tick
from paper_exchange.models import Trade
from paper_exchange.numbers import ZERO, fmt8

MINUTE_MS = 60_000
INTERVALS_MS: dict[str, int] = {
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": 60 * MINUTE_MS,
    "2h": 120 * MINUTE_MS,
    "4h": 240 * MINUTE_MS,
    "6h": 360 * MINUTE_MS,
    "8h": 480 * MINUTE_MS,
    "12h": 720 * MINUTE_MS,
    "1d": 1440 * MINUTE_MS,
}
# (period in minutes, relative amplitude): a week's drift down to an hour's swing.
_WAVES = ((10_080, 0.04), (1_440, 0.012), (240, 0.005), (60, 0.0025), (15, 0.001))
_NOISE = 0.0006
# Points of the synthetic path looked at per candle (its high and low come from them).
_POINTS_PER_CANDLE = 30


class SyntheticPath:
    """The deterministic price path of one symbol before its market started."""

    def __init__(self, seed: int, symbol: str, start_ms: int, start_mid: Decimal) -> None:
        rng = random.Random(seed * 7_919 + zlib.crc32(symbol.encode()))
        self._phases = [rng.uniform(0, 2 * math.pi) for _ in _WAVES]
        self._key = f"{seed}:{symbol}".encode()
        self._start_ms = start_ms
        self._start_mid = float(start_mid)
        self._offset = self._log_level(start_ms)

    def _noise(self, minute: int) -> float:
        digest = hashlib.blake2b(self._key + minute.to_bytes(8, "big", signed=True), digest_size=4)
        return int.from_bytes(digest.digest(), "big") / 0xFFFFFFFF * 2 - 1

    def _log_level(self, ts_ms: int) -> float:
        minutes = ts_ms / MINUTE_MS
        level = sum(
            amp * math.sin(2 * math.pi * minutes / period + phase)
            for (period, amp), phase in zip(_WAVES, self._phases, strict=True)
        )
        return level + _NOISE * self._noise(int(minutes))

    def price(self, ts_ms: int) -> float:
        """The path at ``ts_ms`` (at ``start_ms`` exactly the starting mid)."""
        if ts_ms >= self._start_ms:
            return self._start_mid
        return self._start_mid * math.exp(self._log_level(ts_ms) - self._offset)


def kline_row(
    open_ms: int,
    interval_ms: int,
    prices: list[Decimal],
    trades: list[Trade],
    synthetic_volume: Decimal,
    synthetic_count: int,
) -> list[Any]:
    volume = sum((t.qty for t in trades), ZERO) + synthetic_volume
    quote_volume = sum((t.quote_qty for t in trades), ZERO) + synthetic_volume * prices[-1]
    taker_buys = [t for t in trades if t.side == "BUY" and not t.is_maker]
    return [
        open_ms,
        fmt8(prices[0]),
        fmt8(max(prices)),
        fmt8(min(prices)),
        fmt8(prices[-1]),
        fmt8(volume),
        open_ms + interval_ms - 1,
        fmt8(quote_volume),
        len(trades) + synthetic_count,
        fmt8(sum((t.qty for t in taker_buys), ZERO)),
        fmt8(sum((t.quote_qty for t in taker_buys), ZERO)),
        "0",
    ]


class KlineSource:
    """Candles of one symbol: the synthetic path before start, the samples after."""

    def __init__(self, sm: SymbolMarket, seed: int) -> None:
        self.sm = sm
        self.path = SyntheticPath(seed, sm.spec.symbol, sm.started_ms, sm.open_price)
        self._samples = list(sm.samples)
        self._times = [ts for ts, _ in self._samples]

    def open_times(
        self, interval_ms: int, start: int | None, end: int | None, limit: int, now: int
    ) -> list[int]:
        """Open times of the candles asked for, oldest first, none after ``now``'s."""
        last_open = now - now % interval_ms
        if end is not None:
            last_open = min(last_open, end - end % interval_ms)
        if start is not None:
            first = start if start % interval_ms == 0 else start - start % interval_ms + interval_ms
            return list(range(first, last_open + 1, interval_ms))[:limit]
        first = max(last_open - (limit - 1) * interval_ms, 0)
        return list(range(first, last_open + 1, interval_ms))

    def candle(self, open_ms: int, interval_ms: int, trades: list[Trade], now: int) -> list[Any]:
        close_ms = min(open_ms + interval_ms, now + 1)
        prices = self._synthetic(open_ms, close_ms) + self._sampled(open_ms, close_ms)
        in_window = [t for t in trades if open_ms <= t.time < open_ms + interval_ms]
        minutes = self._synthetic_minutes(open_ms, close_ms)
        volume = self.sm.spec.level_qty * minutes  # some volume for volume-weighted indicators
        return kline_row(open_ms, interval_ms, prices, in_window, volume, minutes)

    def _synthetic(self, open_ms: int, close_ms: int) -> list[Decimal]:
        start = self.sm.started_ms
        if open_ms >= start:
            return []
        stop = min(close_ms, start)
        step = max(MINUTE_MS, (stop - open_ms) // _POINTS_PER_CANDLE)
        times = list(range(open_ms, stop, step))
        if times[-1] != stop - 1:
            times.append(stop - 1)
        tick = self.sm.spec.tick_size
        return [max(round_to_tick(Decimal(repr(self.path.price(ts))), tick), tick) for ts in times]

    def _sampled(self, open_ms: int, close_ms: int) -> list[Decimal]:
        samples = self._samples
        if close_ms <= self.sm.started_ms:
            return []
        lo = bisect.bisect_left(self._times, open_ms)
        hi = bisect.bisect_left(self._times, close_ms)
        inside = [price for _, price in samples[lo:hi]]
        if lo > 0:  # the price the candle opened at is the last one before it
            inside.insert(0, samples[lo - 1][1])
        return inside or [samples[0][1]]

    def _synthetic_minutes(self, open_ms: int, close_ms: int) -> int:
        return max(0, min(close_ms, self.sm.started_ms) - open_ms) // MINUTE_MS
