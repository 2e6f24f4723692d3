"""Simulated market data: a seeded random-walk mid per symbol and a synthetic book.

The book is regenerated from the mid on every read: liquidity taken by an order is
not consumed (the next order sees the same levels until the mid moves). Level sizes
are deterministic (``level_qty * (i + 1)``) so tests can reason about partial fills;
only the walk is random, seeded per symbol from ``PaperConfig.seed``.
"""

from __future__ import annotations

import random
import zlib
from collections import deque
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from paper_exchange.clock import now_ms
from paper_exchange.config import SymbolSpec
from paper_exchange.numbers import fmt8


@dataclass(frozen=True)
class Level:
    price: Decimal
    qty: Decimal


@dataclass(frozen=True)
class Book:
    """Bids best (highest) first, asks best (lowest) first."""

    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


def round_to_tick(price: Decimal, tick: Decimal) -> Decimal:
    return (price / tick).to_integral_value(rounding=ROUND_HALF_UP) * tick


class SymbolMarket:
    """Mid, walk and book of one symbol."""

    def __init__(self, spec: SymbolSpec, seed: int) -> None:
        self.spec = spec
        self._rng = random.Random(seed * 1_000_003 + zlib.crc32(spec.symbol.encode()))
        self.mid = round_to_tick(spec.mid, spec.tick_size)
        self.open_price = self.mid
        self.high = self.mid
        self.low = self.mid
        self.update_id = 1
        # The mid path since start, for candles (klines.py): (ms, mid) per move, bounded
        # (a week of one-second walk steps).
        self.started_ms = now_ms()
        self.samples: deque[tuple[int, Decimal]] = deque([(self.started_ms, self.mid)], 604_800)

    @property
    def min_mid(self) -> Decimal:
        """The mid never goes below what keeps the lowest bid level above zero."""
        spec = self.spec
        depth_ticks = spec.spread_ticks + spec.level_gap_ticks * (spec.book_levels - 1) + 1
        return spec.tick_size * depth_ticks

    def set_mid(self, mid: Decimal) -> None:
        mid = max(round_to_tick(mid, self.spec.tick_size), self.min_mid)
        self.mid = mid
        self.high = max(self.high, mid)
        self.low = min(self.low, mid)
        self.update_id += 1
        self.samples.append((now_ms(), mid))

    def step(self) -> Decimal:
        """One random-walk step: mid *= 1 + N(0, volatility), at least one tick away."""
        shock = Decimal(repr(self._rng.gauss(0.0, 1.0))) * self.spec.volatility
        new_mid = round_to_tick(self.mid * (1 + shock), self.spec.tick_size)
        if new_mid == self.mid:
            new_mid += self.spec.tick_size if shock >= 0 else -self.spec.tick_size
        self.set_mid(new_mid)
        return self.mid

    def best_bid(self) -> Decimal:
        half_down = self.spec.spread_ticks // 2
        return self.mid - self.spec.tick_size * half_down

    def best_ask(self) -> Decimal:
        half_up = self.spec.spread_ticks - self.spec.spread_ticks // 2
        return self.mid + self.spec.tick_size * half_up

    def book(self, levels: int | None = None) -> Book:
        spec = self.spec
        count = spec.book_levels if levels is None else max(0, min(levels, spec.book_levels))
        gap = spec.tick_size * spec.level_gap_ticks
        bid0, ask0 = self.best_bid(), self.best_ask()
        bids = tuple(Level(bid0 - gap * i, spec.level_qty * (i + 1)) for i in range(count))
        asks = tuple(Level(ask0 + gap * i, spec.level_qty * (i + 1)) for i in range(count))
        return Book(bids=bids, asks=asks)


def exchange_info_symbol(spec: SymbolSpec) -> dict[str, Any]:
    """The ``symbols[]`` entry of ``GET /api/v3/exchangeInfo`` for one spec."""
    market_max = spec.market_max_qty if spec.market_max_qty is not None else spec.max_qty
    return {
        "symbol": spec.symbol,
        "status": "TRADING",
        "baseAsset": spec.base,
        "baseAssetPrecision": 8,
        "quoteAsset": spec.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": [
            "LIMIT",
            "LIMIT_MAKER",
            "MARKET",
            "STOP_LOSS",
            "STOP_LOSS_LIMIT",
            "TAKE_PROFIT",
            "TAKE_PROFIT_LIMIT",
        ],
        "icebergAllowed": False,
        "ocoAllowed": True,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "amendAllowed": False,
        "pegInstructionsAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": fmt8(spec.min_price),
                "maxPrice": fmt8(spec.max_price),
                "tickSize": fmt8(spec.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": fmt8(spec.min_qty),
                "maxQty": fmt8(spec.max_qty),
                "stepSize": fmt8(spec.step_size),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": fmt8(Decimal(0)),
                "maxQty": fmt8(market_max),
                "stepSize": fmt8(Decimal(0)),
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": fmt8(spec.min_notional),
                "applyMinToMarket": True,
                "maxNotional": fmt8(spec.max_notional),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": spec.max_num_orders},
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


class Market:
    """All symbols' market data."""

    def __init__(self, specs: tuple[SymbolSpec, ...], seed: int) -> None:
        self.symbols: dict[str, SymbolMarket] = {s.symbol: SymbolMarket(s, seed) for s in specs}
        self._seed = seed

    def get(self, symbol: str) -> SymbolMarket | None:
        return self.symbols.get(symbol)

    def reset(self) -> None:
        for symbol, sm in list(self.symbols.items()):
            self.symbols[symbol] = SymbolMarket(sm.spec, self._seed)
