"""What an entry signal's fan-out reads from one venue endpoint, once for all its bots:
market rules, the best ask and mid, and an ATR per (interval, length) the bots use.

A transient failure propagates (the fan-out retries with nothing written). What retrying
cannot fix is recorded in the view, and every bot on the endpoint is skipped with it: no
such market, an empty ask side; candles the venue cannot give only cost the bots that
need an ATR.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from shared.exchange.errors import NotSupportedError, PermanentExchangeError
from shared.exchange.protocol import ExchangeAdapter
from shared.exchange.types import Candle, Market
from shared.signals.atr import NotEnoughCandles, average_true_range
from worker.context import WorkerContext

# Wilder's smoothing converges over a few lengths: read three, plus the forming candle.
ATR_CANDLES_PER_LENGTH = 3
MAX_CANDLES = 1000  # Binance's limit per klines request


@dataclass(frozen=True, slots=True)
class EndpointView:
    market: Market | None = None
    best_ask: Decimal | None = None
    mid: Decimal | None = None
    unavailable: str | None = None  # why no bot on this endpoint can enter
    # (interval, length) → the ATR, or why there is none
    atrs: dict[tuple[str, int], Decimal | str] = field(default_factory=dict)

    def atr_for(self, interval: str, length: int) -> tuple[Decimal | None, str]:
        value = self.atrs.get((interval, length), "not read")
        if isinstance(value, Decimal):
            return value, ""
        return None, value


def candles_limit(length: int) -> int:
    return min(length * ATR_CANDLES_PER_LENGTH + 1, MAX_CANDLES)


def closed_candles(candles: list[Candle]) -> list[Candle]:
    """The venue's last candle is still forming: its range so far understates it."""
    return candles[:-1]


async def read_endpoint(
    ctx: WorkerContext,
    adapter: ExchangeAdapter,
    symbol: str,
    atr_keys: Iterable[tuple[str, int]],
) -> EndpointView:
    try:
        market = await adapter.market(symbol)
    except PermanentExchangeError as exc:
        return EndpointView(unavailable=f"venue: {exc}")
    book = await ctx.book_feeds.book(adapter, symbol, rest=ctx.market_data)
    if not book.asks or book.mid is None:
        return EndpointView(market=market, unavailable=f"the {symbol} order book has no asks")
    atrs: dict[tuple[str, int], Decimal | str] = {}
    for interval, length in atr_keys:
        atrs[(interval, length)] = await _atr(adapter, symbol, interval, length)
    return EndpointView(market=market, best_ask=book.asks[0].price, mid=book.mid, atrs=atrs)


async def _atr(adapter: ExchangeAdapter, symbol: str, interval: str, length: int) -> Decimal | str:
    try:
        candles = await adapter.fetch_candles(symbol, interval, candles_limit(length))
        atr = average_true_range(closed_candles(candles), length)
    except NotSupportedError:
        return f"{adapter.venue} gives no candles"
    except PermanentExchangeError as exc:
        return f"candles refused: {exc}"
    except NotEnoughCandles as exc:
        return str(exc)
    if atr <= 0:
        return "the candles show no range"
    return atr
