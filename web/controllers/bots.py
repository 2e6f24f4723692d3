"""Bots: create, configure, start, stop, archive."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from shared.bots import lifecycle
from shared.errors import NotFoundError
from shared.repositories import bots as bots_repo
from shared.validation import FieldValidationError
from web.auth import requires_client
from web.dependencies import Client, Conn, JobApp
from web.openapi import CLIENT_SECURITY, error_responses
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
        )
        return BotRead.of(bot)

    @get(
        operation_id="listBots",
        summary="List your bots (archived ones on request)",
        responses=error_responses(),
    )
    async def list_bots(
        self, conn: Conn, client: Client, include_archived: FromQuery[bool] = False
    ) -> list[BotRead]:
        bots = await bots_repo.list_bots(conn, client.client_id, include_archived=include_archived)
        return [BotRead.of(bot) for bot in bots]

    @get(
        "/{bot_id:uuid}",
        operation_id="getBot",
        summary="One bot, with its live quotes and the reason of its last skip",
        responses=error_responses(404),
    )
    async def get_bot(self, conn: Conn, client: Client, bot_id: FromPath[UUID]) -> BotRead:
        bot = await bots_repo.get_bot(conn, client.client_id, bot_id)
        if bot is None:
            raise NotFoundError(f"bot {bot_id} not found")
        return BotRead.of(bot, await bots_repo.get_bot_activity(conn, client.client_id, bot_id))

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
        summary="Stop a bot; its next tick exits and cancels its quotes",
        status_code=200,
        responses=error_responses(404),
    )
    async def stop_bot(self, conn: Conn, client: Client, bot_id: FromPath[UUID]) -> BotRead:
        bot = await lifecycle.stop_bot(conn, client_id=client.client_id, bot_id=bot_id)
        return BotRead.of(bot)
