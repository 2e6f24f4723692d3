"""Positions of signal bots (read only: the worker opens, protects and closes them)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, FromQuery, QueryParameter

from shared.domain import PositionStatus
from shared.errors import NotFoundError
from shared.repositories import bots as bots_repo
from shared.repositories import position_reads as positions_repo
from web.auth import requires_client
from web.dependencies import Client, Conn
from web.openapi import CLIENT_SECURITY, error_responses
from web.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, split_page
from web.schemas.positions import PositionDetail, PositionEventRead, PositionPage, PositionRead

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]


async def _page(
    conn: Conn,
    client: Client,
    *,
    bot_id: UUID | None,
    status: PositionStatus | None,
    cursor: str | None,
    limit: int,
) -> PositionPage:
    rows = await positions_repo.list_positions(
        conn,
        client.client_id,
        bot_id=bot_id,
        status=status,
        before=decode_cursor(cursor, UUID) if cursor else None,
        limit=limit + 1,
    )
    page, next_cursor = split_page(rows, limit)
    return PositionPage(items=[PositionRead.of(row) for row in page], next_cursor=next_cursor)


class PositionController(Controller):
    path = "/v1/positions"
    tags = ["positions"]
    guards = [requires_client]
    security = CLIENT_SECURITY

    @get(
        operation_id="listPositions",
        summary="Your bots' positions, newest first (cursor pagination)",
        responses=error_responses(),
    )
    async def list_positions(
        self,
        conn: Conn,
        client: Client,
        bot_id: FromQuery[UUID | None] = None,
        status: FromQuery[PositionStatus | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> PositionPage:
        return await _page(conn, client, bot_id=bot_id, status=status, cursor=cursor, limit=limit)

    @get(
        "/{position_id:uuid}",
        operation_id="getPosition",
        summary="One position with its events (exits placed, stop moves, the close)",
        responses=error_responses(404),
    )
    async def get_position(
        self, conn: Conn, client: Client, position_id: FromPath[UUID]
    ) -> PositionDetail:
        position = await positions_repo.get_position(conn, client.client_id, position_id)
        if position is None:
            raise NotFoundError(f"position {position_id} not found")
        events = await positions_repo.list_position_events(conn, position_id)
        return PositionDetail(
            **msgspec.structs.asdict(PositionRead.of(position)),
            events=[PositionEventRead.of(event) for event in events],
        )


class BotPositionController(Controller):
    path = "/v1/bots/{bot_id:uuid}/positions"
    tags = ["positions"]
    guards = [requires_client]
    security = CLIENT_SECURITY

    @get(
        operation_id="listBotPositions",
        summary="One bot's positions, newest first (cursor pagination)",
        responses=error_responses(404),
    )
    async def list_bot_positions(
        self,
        conn: Conn,
        client: Client,
        bot_id: FromPath[UUID],
        status: FromQuery[PositionStatus | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> PositionPage:
        if await bots_repo.get_bot(conn, client.client_id, bot_id) is None:
            raise NotFoundError(f"bot {bot_id} not found")
        return await _page(conn, client, bot_id=bot_id, status=status, cursor=cursor, limit=limit)
