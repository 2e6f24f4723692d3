"""A bot's volume and P&L over time, drawn from its fills (sql/queries/bot_series.sql).

The dashboard's charts. P&L here is mark-to-market: the book's cash flow plus its
position valued at the bucket's last trade price. With the mark at the mid, that total is
the FIFO's realized plus unrealized P&L (docs/stats.md); the split between the two is
the FIFO's business, not this series'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.statements import fetch_all


@dataclass(frozen=True, slots=True)
class SeriesBucket:
    bucket_start: datetime
    trades: int
    buys: int
    sells: int
    base_volume: Decimal
    quote_volume: Decimal
    last_price: Decimal
    # Accumulated since the bot's first fill, not since the window's start.
    position: Decimal
    cash: Decimal

    @property
    def pnl(self) -> Decimal:
        """Cash plus the position valued at this bucket's last trade price."""
        return self.cash + self.position * self.last_price


async def bot_series(
    conn: AsyncConnection[Any],
    bot_id: UUID,
    symbol: str,
    *,
    since: datetime,
    until: datetime,
    bucket: timedelta,
) -> list[SeriesBucket]:
    """Buckets that hold at least one fill, oldest first (an empty bucket has no price)."""
    return await fetch_all(
        conn, SeriesBucket, "bot_series",
        bot_id=bot_id, symbol=symbol, since=since, until=until, bucket=bucket,
    )  # fmt: skip
