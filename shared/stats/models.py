"""What the statistics answer: frozen values, Decimal throughout, unrounded.

Rounding is the presenter's job (the API's schemas); these values are exact sums of the
fills' own digits, except for a partly consumed lot's share of its cost, which is carried
to 18 decimal places (see shared.stats.fifo.share and docs/stats.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID

ZERO = Decimal(0)


def split_symbol(symbol: str) -> tuple[str, str]:
    """`BASE/QUOTE` (a ccxt `:SETTLE` suffix is dropped); mirrors SQL stats_base/stats_quote."""
    base, _, rest = symbol.partition("/")
    return base, rest.partition(":")[0]


def merge_fees(*fee_maps: Mapping[str, Decimal]) -> dict[str, Decimal]:
    merged: dict[str, Decimal] = {}
    for fees in fee_maps:
        for currency, amount in fees.items():
            merged[currency] = merged.get(currency, ZERO) + amount
    return merged


@dataclass(frozen=True, slots=True)
class Volume:
    """Trades, base and quote (price * amount) volume by side."""

    buy_count: int = 0
    sell_count: int = 0
    buy_base: Decimal = ZERO
    sell_base: Decimal = ZERO
    buy_quote: Decimal = ZERO
    sell_quote: Decimal = ZERO

    @property
    def trade_count(self) -> int:
        return self.buy_count + self.sell_count

    @property
    def base_volume(self) -> Decimal:
        return self.buy_base + self.sell_base

    @property
    def quote_volume(self) -> Decimal:
        return self.buy_quote + self.sell_quote

    def __add__(self, other: Volume) -> Volume:
        return Volume(
            buy_count=self.buy_count + other.buy_count,
            sell_count=self.sell_count + other.sell_count,
            buy_base=self.buy_base + other.buy_base,
            sell_base=self.sell_base + other.sell_base,
            buy_quote=self.buy_quote + other.buy_quote,
            sell_quote=self.sell_quote + other.sell_quote,
        )

    @classmethod
    def total(cls, volumes: Iterable[Volume]) -> Volume:
        result = cls()
        for volume in volumes:
            result = result + volume
        return result


@dataclass(frozen=True, slots=True)
class Position:
    """Open FIFO lots. One book holds lots on one side only; a sum over books may hold both.

    long_cost is what the open long lots cost (quote fees of the buys included);
    short_proceeds is what the open short lots were sold for (net of quote fees).
    """

    long_amount: Decimal = ZERO
    long_cost: Decimal = ZERO
    short_amount: Decimal = ZERO
    short_proceeds: Decimal = ZERO

    @property
    def net_amount(self) -> Decimal:
        return self.long_amount - self.short_amount

    @property
    def average_long_entry(self) -> Decimal | None:
        return self.long_cost / self.long_amount if self.long_amount else None

    @property
    def average_short_entry(self) -> Decimal | None:
        return self.short_proceeds / self.short_amount if self.short_amount else None

    @property
    def average_entry(self) -> Decimal | None:
        """Average entry of the side the net position is on; None when flat."""
        if self.net_amount > 0:
            return self.average_long_entry
        if self.net_amount < 0:
            return self.average_short_entry
        return None

    def unrealized_pnl(self, mid: Decimal) -> Decimal:
        """P&L of closing every open lot at `mid`, before exit fees."""
        return (mid * self.long_amount - self.long_cost) + (
            self.short_proceeds - mid * self.short_amount
        )

    def __add__(self, other: Position) -> Position:
        return Position(
            long_amount=self.long_amount + other.long_amount,
            long_cost=self.long_cost + other.long_cost,
            short_amount=self.short_amount + other.short_amount,
            short_proceeds=self.short_proceeds + other.short_proceeds,
        )


@dataclass(frozen=True, slots=True)
class SymbolStats:
    """One symbol of a bot, or of a client summed over its books (bots and manual orders).

    realized_pnl and unrealized_pnl are in the quote currency. Fees paid in base or quote are
    inside the P&L; fees in any other currency (other_fees_*) are not, and are never
    converted.
    """

    symbol: str
    base: str
    quote: str
    realized_pnl: Decimal
    position: Position
    mid: Decimal | None
    unrealized_pnl: Decimal | None
    volume_24h: Volume
    volume_all_time: Volume
    fees_24h: Mapping[str, Decimal] = field(default_factory=dict)
    fees_all_time: Mapping[str, Decimal] = field(default_factory=dict)
    books: int = 0

    @property
    def other_fees_all_time(self) -> dict[str, Decimal]:
        return {c: a for c, a in self.fees_all_time.items() if c not in (self.base, self.quote)}

    @property
    def other_fees_24h(self) -> dict[str, Decimal]:
        return {c: a for c, a in self.fees_24h.items() if c not in (self.base, self.quote)}


def _find(symbols: tuple[SymbolStats, ...], symbol: str) -> SymbolStats:
    for stats in symbols:
        if stats.symbol == symbol:
            return stats
    raise KeyError(symbol)


@dataclass(frozen=True, slots=True)
class BotStats:
    bot_id: UUID
    client_id: UUID
    as_of: datetime  # the end of the 24h window: (as_of - 24h, as_of]
    symbols: tuple[SymbolStats, ...]

    def symbol(self, symbol: str) -> SymbolStats:
        return _find(self.symbols, symbol)

    @property
    def fees_all_time(self) -> dict[str, Decimal]:
        return merge_fees(*(s.fees_all_time for s in self.symbols))

    @property
    def fees_24h(self) -> dict[str, Decimal]:
        return merge_fees(*(s.fees_24h for s in self.symbols))


@dataclass(frozen=True, slots=True)
class ClientStats:
    client_id: UUID
    as_of: datetime
    symbols: tuple[SymbolStats, ...]

    def symbol(self, symbol: str) -> SymbolStats:
        return _find(self.symbols, symbol)

    @property
    def fees_all_time(self) -> dict[str, Decimal]:
        return merge_fees(*(s.fees_all_time for s in self.symbols))

    @property
    def fees_24h(self) -> dict[str, Decimal]:
        return merge_fees(*(s.fees_24h for s in self.symbols))
