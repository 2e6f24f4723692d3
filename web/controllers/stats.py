"""Trading statistics: 24h volume, fees, FIFO realized and unrealized P&L.

Read from the running aggregates (shared.stats), so a bot with a million fills answers
as fast as one with ten. Unrealized P&L needs a mid and the web never calls a venue:
it uses the mid the newest bot tick saw, and says when that was (`mid_at`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from litestar import Controller, get
from litestar.params import FromPath

from shared.errors import NotFoundError
from shared.repositories.bots import get_bot
from shared.repositories.stats import bot_latest_mid, bot_stats, client_latest_mids, client_stats
from web.auth import requires_client
from web.dependencies import Client, Conn
from web.openapi import CLIENT_SECURITY, error_responses
from web.schemas.stats import StatsRead, SymbolStatsRead


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
