"""Bots: create, configure, start, stop, archive."""

from __future__ import annotations

from uuid import UUID

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from shared.bots import lifecycle
from shared.errors import NotFoundError
from shared.repositories import bots as bots_repo
from shared.repositories.balances import (
    BalanceSnapshot,
    get_balance_snapshot,
    get_balance_snapshots,
)
from shared.validation import FieldValidationError
from web.auth import requires_client
from web.controllers.credentials import request_balance_refresh
from web.controllers.stats import load_bot_stats
from web.dependencies import Client, Conn, Context, JobApp
from web.openapi import CLIENT_SECURITY, error_responses
from web.schemas.balances import BalanceRead, RefreshAccepted
from web.schemas.bots import BotArchived, BotCreate, BotRead, BotUpdate


class BotController(Controller):
    path = "/v1/bots"
    tags = ["bots"]
    guards = [requires_client]
    security = CLIENT_SECURITY

    @post(
        operation_id="createBot",
        summary="Create a bot (stopped); its venue is its credential's",
        status_code=201,
        responses=error_responses(404, 409, 413, 415, 422),
    )
    async def create_bot(self, conn: Conn, client: Client, data: JSONBody[BotCreate]) -> BotRead:
        bot = await lifecycle.create_bot(
            conn,
            client_id=client.client_id,
            name=data.name,
            kind=data.kind,
            credential_id=data.credential_id,
            symbol=data.symbol,
            config=data.config,
            strategy_id=data.strategy_id,
        )
        return BotRead.of(bot)

    @get(
        operation_id="listBots",
        summary="List your bots (archived ones on request)",
        responses=error_responses(),
    )
    async def list_bots(
        self,
        conn: Conn,
        client: Client,
        context: Context,
        include_archived: FromQuery[bool] = False,
        detail: FromQuery[bool] = False,
    ) -> list[BotRead]:
        """`detail=true`: each bot as `GET /v1/bots/{id}` gives it (live quotes, last skip,
        statistics), so an overview costs one request instead of one per bot."""
        bots = await bots_repo.list_bots(conn, client.client_id, include_archived=include_archived)
        snapshots = await get_balance_snapshots(conn, list({bot.credential_id for bot in bots}))
        max_age = context.settings.balance_stale_after_s
        if detail:
            return [
                await _bot_detail(conn, client, bot, snapshots[bot.credential_id], max_age)
                for bot in bots
            ]
        return [
            msgspec.structs.replace(
                BotRead.of(bot), balance=_bot_balance(bot, snapshots[bot.credential_id], max_age)
            )
            for bot in bots
        ]

    @get(
        "/{bot_id:uuid}",
        operation_id="getBot",
        summary="One bot, with its live quotes and the reason of its last skip",
        responses=error_responses(404),
    )
    async def get_bot(
        self, conn: Conn, client: Client, context: Context, bot_id: FromPath[UUID]
    ) -> BotRead:
        bot = await _own_bot(conn, client, bot_id)
        snapshot = await get_balance_snapshot(conn, bot.credential_id)
        return await _bot_detail(
            conn, client, bot, snapshot, context.settings.balance_stale_after_s
        )

    @get(
        "/{bot_id:uuid}/balance",
        operation_id="getBotBalance",
        summary="The stored balances of the bot's base and quote assets",
        responses=error_responses(404),
    )
    async def get_bot_balance(
        self, conn: Conn, client: Client, context: Context, bot_id: FromPath[UUID]
    ) -> BalanceRead:
        bot = await _own_bot(conn, client, bot_id)
        snapshot = await get_balance_snapshot(conn, bot.credential_id)
        return _bot_balance(bot, snapshot, context.settings.balance_stale_after_s)

    @post(
        "/{bot_id:uuid}/balance/refresh",
        operation_id="refreshBotBalance",
        summary="Ask the worker to fetch the bot's credential balances now",
        status_code=202,
        responses=error_responses(404),
    )
    async def refresh_bot_balance(
        self, conn: Conn, client: Client, job_app: JobApp, bot_id: FromPath[UUID]
    ) -> RefreshAccepted:
        bot = await _own_bot(conn, client, bot_id)
        status = await request_balance_refresh(conn, job_app, bot.credential_id)
        return RefreshAccepted(credential_id=bot.credential_id, status=status)

    @patch(
        "/{bot_id:uuid}",
        operation_id="updateBot",
        summary="Rename a bot or replace its config (validated for its kind)",
        responses=error_responses(404, 409, 413, 415, 422),
    )
    async def update_bot(
        self, conn: Conn, client: Client, bot_id: FromPath[UUID], data: JSONBody[BotUpdate]
    ) -> BotRead:
        if data.name is None and data.config is None:
            raise FieldValidationError("body", "send name and/or config")
        bot = await lifecycle.update_bot(
            conn, client_id=client.client_id, bot_id=bot_id, name=data.name, config=data.config
        )
        return BotRead.of(bot)

    @delete(
        "/{bot_id:uuid}",
        operation_id="archiveBot",
        summary="Archive a bot: stop it and cancel its open orders (history is kept)",
        status_code=200,
        responses=error_responses(404),
    )
    async def archive_bot(
        self, conn: Conn, client: Client, job_app: JobApp, bot_id: FromPath[UUID]
    ) -> BotArchived:
        bot, canceled = await lifecycle.archive_bot(
            conn, job_app, client_id=client.client_id, bot_id=bot_id, requested_by=client.actor
        )
        return BotArchived(bot=BotRead.of(bot), cancel_requested_order_ids=canceled)

    @post(
        "/{bot_id:uuid}/start",
        operation_id="startBot",
        summary="Start a bot (no-op if running; refused if archived or a kill switch covers it)",
        status_code=200,
        responses=error_responses(404, 409),
    )
    async def start_bot(
        self, conn: Conn, client: Client, job_app: JobApp, bot_id: FromPath[UUID]
    ) -> BotRead:
        bot = await lifecycle.start_bot(conn, job_app, client_id=client.client_id, bot_id=bot_id)
        return BotRead.of(bot)

    @post(
        "/{bot_id:uuid}/stop",
        operation_id="stopBot",
        summary="Stop a bot and cancel its open orders now (no-op if stopped)",
        status_code=200,
        responses=error_responses(404),
    )
    async def stop_bot(
        self, conn: Conn, client: Client, job_app: JobApp, bot_id: FromPath[UUID]
    ) -> BotRead:
        bot, _ = await lifecycle.stop_bot(
            conn, job_app, client_id=client.client_id, bot_id=bot_id, requested_by=client.actor
        )
        return BotRead.of(bot)


async def _own_bot(conn: Conn, client: Client, bot_id: UUID) -> bots_repo.Bot:
    bot = await bots_repo.get_bot(conn, client.client_id, bot_id)
    if bot is None:
        raise NotFoundError(f"bot {bot_id} not found")
    return bot


async def _bot_detail(
    conn: Conn, client: Client, bot: bots_repo.Bot, snapshot: BalanceSnapshot, max_age_s: float
) -> BotRead:
    """A bot with its live quotes, last skip, balances and statistics."""
    return msgspec.structs.replace(
        BotRead.of(bot, await bots_repo.get_bot_activity(conn, client.client_id, bot.id)),
        balance=_bot_balance(bot, snapshot, max_age_s),
        stats=await load_bot_stats(conn, bot.id),
    )


def _bot_balance(bot: bots_repo.Bot, snapshot: BalanceSnapshot, max_age_s: float) -> BalanceRead:
    base, quote = bot.symbol.split("/")
    return BalanceRead.of(bot.credential_id, snapshot, max_age_s, only_assets=(base, quote))
