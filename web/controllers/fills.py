"""Fills (trades), newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from shared.repositories import fills as fills_repo
from web.auth import requires_client
from web.dependencies import Client, Conn
from web.openapi import CLIENT_SECURITY, error_responses
from web.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, split_page
from web.schemas.common import SymbolFilter
from web.schemas.orders import FillPage, FillRead


class FillController(Controller):
    path = "/v1/fills"
    tags = ["fills"]
    guards = [requires_client]
    security = CLIENT_SECURITY

    @get(
        operation_id="listFills",
        summary="List your fills, newest first (cursor pagination)",
        responses=error_responses(),
    )
    async def list_fills(
        self,
        conn: Conn,
        client: Client,
        symbol: SymbolFilter = None,
        order_id: FromQuery[UUID | None] = None,
        bot_id: FromQuery[UUID | None] = None,
        credential_id: FromQuery[UUID | None] = None,
        created_after: FromQuery[datetime | None] = None,
        created_before: FromQuery[datetime | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> FillPage:
        rows = await fills_repo.list_fills(
            conn,
            client.client_id,
            fills_repo.FillFilters(
                symbol=symbol,
                order_id=order_id,
                bot_id=bot_id,
                credential_id=credential_id,
                created_after=created_after,
                created_before=created_before,
            ),
            before=decode_cursor(cursor, int) if cursor else None,
            limit=limit + 1,
        )
        page, next_cursor = split_page(rows, limit)
        return FillPage(items=[FillRead.of(row) for row in page], next_cursor=next_cursor)
