"""A bot's volume and P&L over time (GET /v1/bots/{id}/series)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from shared.orders.views import utc
from shared.repositories.bot_series import SeriesBucket
from shared.validation import decimal_text


class SeriesPointRead(msgspec.Struct, frozen=True, kw_only=True):
    """One bucket that holds fills (buckets without a fill are left out)."""

    at: datetime
    trades: int
    buys: int
    sells: int
    base_volume: str
    quote_volume: str
    # The bucket's last trade price: the mark of `pnl`.
    price: str
    # The book's net base amount at the bucket's end (accumulated since the first fill).
    position: str
    # Mark-to-market P&L in the quote currency at the bucket's end: cash flow plus the
    # position valued at `price` (fees as the FIFO counts them).
    pnl: str

    @classmethod
    def of(cls, bucket: SeriesBucket) -> SeriesPointRead:
        return cls(
            at=utc(bucket.bucket_start), trades=bucket.trades, buys=bucket.buys,
            sells=bucket.sells, base_volume=decimal_text(bucket.base_volume),
            quote_volume=decimal_text(bucket.quote_volume),
            price=decimal_text(bucket.last_price), position=decimal_text(bucket.position),
            pnl=decimal_text(bucket.pnl),
        )  # fmt: skip


class BotSeriesRead(msgspec.Struct, frozen=True, kw_only=True):
    bot_id: UUID
    symbol: str
    # The window is [since, until); buckets start at since + k * bucket_s.
    since: datetime
    until: datetime
    bucket_s: int
    points: list[SeriesPointRead]
