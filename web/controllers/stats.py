"""Trading statistics: 24h volume, fees, FIFO realized and unrealized P&L.

Read from the running aggregates (shared.stats), so a bot with a million fills answers
as fast as one with ten. Unrealized P&L needs a mid and the web never calls a venue:
it uses the mid the newest bot tick saw, and says when that was (`mid_at`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from shared.errors import NotFoundError
from shared.repositories.bot_series import bot_series
from shared.repositories.bots import get_bot
from shared.repositories.stats import bot_latest_mid, bot_stats, client_latest_mids, client_stats
from web.auth import requires_client
from web.dependencies import Client, Conn
from web.openapi import CLIENT_SECURITY, error_responses
from web.schemas.series import BotSeriesRead, SeriesPointRead
from web.schemas.stats import StatsRead, SymbolStatsRead

# A series has at most this many buckets, whatever its window.
SERIES_BUCKETS = 60


class StatsController(Controller):
    path = "/v1"
    tags = ["stats"]
    guards = [requires_client]
    security = CLIENT_SECURITY

    @get(
        "/bots/{bot_id:uuid}/stats",
        operation_id="getBotStats",
        summary="A bot's volume, fees and FIFO P&L",
        responses=error_responses(404),
    )
    async def bot(self, conn: Conn, client: Client, bot_id: FromPath[UUID]) -> StatsRead:
        if await get_bot(conn, client.client_id, bot_id) is None:
            raise NotFoundError(f"bot {bot_id} not found")
        return await load_bot_stats(conn, bot_id)

    @get(
        "/bots/{bot_id:uuid}/series",
        operation_id="getBotSeries",
        summary="A bot's volume and mark-to-market P&L over time, bucketed, from its fills",
        description=(
            "The window `[now - hours, now)` in 60 buckets; only buckets holding a fill are "
            "listed. `pnl` is the book's cash flow plus its position valued at the bucket's "
            "last trade price (`price`), accumulated since the bot's first fill: at the mid it "
            "equals realized plus unrealized P&L of /stats."
        ),
        responses=error_responses(404),
    )
    async def bot_series(
        self,
        conn: Conn,
        client: Client,
        bot_id: FromPath[UUID],
        hours: Annotated[int, QueryParameter(ge=1, le=24 * 90)] = 24,
    ) -> BotSeriesRead:
        bot = await get_bot(conn, client.client_id, bot_id)
        if bot is None:
            raise NotFoundError(f"bot {bot_id} not found")
        until = datetime.now(UTC)
        bucket = timedelta(hours=hours) / SERIES_BUCKETS
        since = until - bucket * SERIES_BUCKETS
        buckets = await bot_series(
            conn, bot_id, bot.symbol, since=since, until=until, bucket=bucket
        )
        return BotSeriesRead(
            bot_id=bot_id, symbol=bot.symbol, since=since, until=until,
            bucket_s=int(bucket.total_seconds()),
            points=[SeriesPointRead.of(b) for b in buckets],
        )  # fmt: skip

    @get(
        "/stats",
        operation_id="getClientStats",
        summary="Your volume, fees and FIFO P&L per symbol, over all bots and manual orders",
        responses=error_responses(),
    )
    async def client(self, conn: Conn, client: Client) -> StatsRead:
        latest = await client_latest_mids(conn, client.client_id)
        mids: dict[str, Decimal] = {row.symbol: row.mid for row in latest}
        seen: list[datetime] = [row.ticked_at for row in latest]
        stats = await client_stats(conn, client.client_id, mids=mids)
        return StatsRead(
            client_id=client.client_id,
            bot_id=None,
            as_of=stats.as_of,
            mid_at=min(seen) if seen else None,
            symbols=[SymbolStatsRead.of(s) for s in stats.symbols],
        )


async def load_bot_stats(conn: Conn, bot_id: UUID) -> StatsRead:
    """A bot's statistics (the caller has checked the bot is the client's)."""
    latest = await bot_latest_mid(conn, bot_id)
    mid, mid_at = (latest.mid, latest.ticked_at) if latest else (None, None)
    stats = await bot_stats(conn, bot_id, mid=mid)
    return StatsRead(
        client_id=stats.client_id,
        bot_id=bot_id,
        as_of=stats.as_of,
        mid_at=mid_at,
        symbols=[SymbolStatsRead.of(s) for s in stats.symbols],
    )
