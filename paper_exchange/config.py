"""Configuration of the paper exchange: symbols, fees, timing."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class SymbolSpec:
    """One spot market and the shape of its synthetic book.

    Prices and quantities follow Binance's filters: ``tick_size`` is the
    PRICE_FILTER tick, ``step_size``/``min_qty``/``max_qty`` the LOT_SIZE filter,
    ``min_notional`` the NOTIONAL filter. ``volatility`` is the standard deviation of
    one random-walk step, relative to the mid. The synthetic book has ``book_levels``
    levels per side, the touch ``spread_ticks`` wide, levels ``level_gap_ticks``
    apart, level ``i`` (0 = touch) holding ``level_qty * (i + 1)``.
    """

    symbol: str
    base: str
    quote: str
    mid: Decimal
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    level_qty: Decimal
    min_price: Decimal = Decimal("0.01")
    max_price: Decimal = Decimal("1000000")
    max_notional: Decimal = Decimal("9000000")
    market_max_qty: Decimal | None = None
    spread_ticks: int = 2
    level_gap_ticks: int = 1
    book_levels: int = 20
    volatility: Decimal = Decimal("0.0005")
    max_num_orders: int = 200


def default_symbols() -> tuple[SymbolSpec, ...]:
    """BTC/USDT, ETH/USDT and SOL/USDT with filters close to Binance's own."""
    return (
        SymbolSpec(
            symbol="BTCUSDT",
            base="BTC",
            quote="USDT",
            mid=Decimal("60000.00"),
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.00001"),
            min_qty=Decimal("0.00001"),
            max_qty=Decimal("9000"),
            min_notional=Decimal("5"),
            level_qty=Decimal("0.05"),
            market_max_qty=Decimal("100"),
            level_gap_ticks=100,
        ),
        SymbolSpec(
            symbol="ETHUSDT",
            base="ETH",
            quote="USDT",
            mid=Decimal("3000.00"),
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.0001"),
            min_qty=Decimal("0.0001"),
            max_qty=Decimal("9000"),
            min_notional=Decimal("5"),
            level_qty=Decimal("0.5"),
            market_max_qty=Decimal("1000"),
            level_gap_ticks=10,
        ),
        SymbolSpec(
            symbol="SOLUSDT",
            base="SOL",
            quote="USDT",
            mid=Decimal("150.00"),
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.001"),
            min_qty=Decimal("0.001"),
            max_qty=Decimal("90000"),
            min_notional=Decimal("5"),
            level_qty=Decimal("10"),
            market_max_qty=Decimal("20000"),
            level_gap_ticks=1,
        ),
    )


@dataclass(frozen=True)
class PaperConfig:
    """Settings of one paper exchange instance.

    ``walk_interval_s`` = 0 disables the timer-driven random walk (tests step the mid
    through the admin API instead). ``fee_rate`` applies to maker and taker fills.
    ``weight_limit_1m`` = None counts request weight per IP (``X-MBX-USED-WEIGHT-1M``,
    the admin ledger) without enforcing it; a number (Binance's is 6000) makes requests
    beyond it fail with 429/-1003, and ``weight_429s_before_ban`` 429s in one minute
    later with a 418 ban that lasts 2 minutes, doubling per ban up to 3 days, times
    ``weight_ban_scale`` (see :mod:`paper_exchange.weights`).
    ``bitmart_timestamp_window_ms``: how far a BitMart request's X-BM-TIMESTAMP may be
    from the venue's clock (BitMart: "within a minute", code 30007).
    """

    seed: int = 7
    walk_interval_s: float = 1.0
    symbols: tuple[SymbolSpec, ...] = field(default_factory=default_symbols)
    fee_rate: Decimal = Decimal("0.001")
    recv_window_default_ms: int = 5000
    recv_window_max_ms: int = 60000
    future_tolerance_ms: int = 1000
    weight_limit_1m: int | None = None
    weight_429s_before_ban: int = 5
    weight_ban_scale: float = 1.0
    bitmart_timestamp_window_ms: int = 60_000
    order_id_start: int = 1
    trade_id_start: int = 1
    default_balances: tuple[tuple[str, Decimal], ...] = (
        ("USDT", Decimal("100000")),
        ("BTC", Decimal("1")),
        ("ETH", Decimal("10")),
        ("SOL", Decimal("100")),
    )
