"""Statistics as the API shows them: Decimal as strings, fees per currency."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from shared.stats.models import Position, SymbolStats, Volume
from shared.validation import decimal_text, optional_decimal_text


class VolumeRead(msgspec.Struct, frozen=True, kw_only=True):
    trades: int
    buys: int
    sells: int
    base_volume: str
    quote_volume: str

    @classmethod
    def of(cls, volume: Volume) -> VolumeRead:
        return cls(
            trades=volume.trade_count, buys=volume.buy_count, sells=volume.sell_count,
            base_volume=decimal_text(volume.base_volume),
            quote_volume=decimal_text(volume.quote_volume),
        )  # fmt: skip


class PositionRead(msgspec.Struct, frozen=True, kw_only=True):
    net_amount: str
    average_entry: str | None

    @classmethod
    def of(cls, position: Position) -> PositionRead:
        return cls(
            net_amount=decimal_text(position.net_amount),
            average_entry=optional_decimal_text(position.average_entry),
        )


class SymbolStatsRead(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    base: str
    quote: str
    realized_pnl: str
    # Valued at `mid`; null when no recent mid is known (see `mid_at`).
    unrealized_pnl: str | None
    mid: str | None
    position: PositionRead
    volume_24h: VolumeRead
    volume_all_time: VolumeRead
    fees_24h: dict[str, str]
    fees_all_time: dict[str, str]

    @classmethod
    def of(cls, stats: SymbolStats) -> SymbolStatsRead:
        return cls(
            symbol=stats.symbol, base=stats.base, quote=stats.quote,
            realized_pnl=decimal_text(stats.realized_pnl),
            unrealized_pnl=optional_decimal_text(stats.unrealized_pnl),
            mid=optional_decimal_text(stats.mid), position=PositionRead.of(stats.position),
            volume_24h=VolumeRead.of(stats.volume_24h),
            volume_all_time=VolumeRead.of(stats.volume_all_time),
            fees_24h={k: decimal_text(v) for k, v in stats.fees_24h.items()},
            fees_all_time={k: decimal_text(v) for k, v in stats.fees_all_time.items()},
        )  # fmt: skip


class StatsRead(msgspec.Struct, frozen=True, kw_only=True):
    """A bot's statistics (bot_id set) or a client's over all its books (bot_id null)."""

    client_id: UUID
    bot_id: UUID | None
    # The 24h window is (as_of - 24h, as_of].
    as_of: datetime
    # When the mid used for unrealized P&L was seen (the newest bot tick); null if none.
    mid_at: datetime | None
    symbols: list[SymbolStatsRead]
