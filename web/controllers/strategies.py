"""Strategies: the signal sources signal bots subscribe to, with their webhook secret."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from shared.errors import NotFoundError
from shared.repositories import received_signals as signals_repo
from shared.repositories import strategies as strategies_repo
from shared.signals import strategies as strategies_service
from shared.validation import FieldValidationError
from web.auth import requires_client
from web.dependencies import Client, Conn
from web.openapi import CLIENT_SECURITY, error_responses
from web.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, split_page
from web.schemas.signals import SignalPage, SignalRead
from web.schemas.strategies import StrategyCreate, StrategyIssued, StrategyRead, StrategyUpdate


async def _own_strategy(conn: Conn, client: Client, strategy_id: UUID) -> strategies_repo.Strategy:
    strategy = await strategies_repo.get_strategy(conn, client.client_id, strategy_id)
    if strategy is None:
        raise NotFoundError(f"strategy {strategy_id} not found")
    return strategy


class StrategyController(Controller):
    path = "/v1/strategies"
    tags = ["strategies"]
    guards = [requires_client]
    security = CLIENT_SECURITY

    @post(
        operation_id="createStrategy",
        summary="Create a strategy; its webhook secret is in the answer, once",
        status_code=201,
        responses=error_responses(409, 413, 415, 422),
    )
    async def create_strategy(
        self, conn: Conn, client: Client, data: JSONBody[StrategyCreate]
    ) -> StrategyIssued:
        issued = await strategies_service.create_strategy(
            conn,
            client_id=client.client_id,
            values={
                "name": data.name,
                "max_signal_age_s": data.max_signal_age_s,
                "session_days": data.session_days,
                "session_start": data.session_start,
                "session_end": data.session_end,
                "session_timezone": data.session_timezone,
            },
        )
        return StrategyIssued.of(issued)

    @get(
        operation_id="listStrategies",
        summary="List your strategies (archived ones on request)",
        responses=error_responses(),
    )
    async def list_strategies(
        self, conn: Conn, client: Client, include_archived: FromQuery[bool] = False
    ) -> list[StrategyRead]:
        strategies = await strategies_repo.list_strategies(
            conn, client.client_id, include_archived=include_archived
        )
        return [StrategyRead.of(strategy) for strategy in strategies]

    @get(
        "/{strategy_id:uuid}",
        operation_id="getStrategy",
        summary="One strategy (never its secret)",
        responses=error_responses(404),
    )
    async def get_strategy(
        self, conn: Conn, client: Client, strategy_id: FromPath[UUID]
    ) -> StrategyRead:
        return StrategyRead.of(await _own_strategy(conn, client, strategy_id))

    @patch(
        "/{strategy_id:uuid}",
        operation_id="updateStrategy",
        summary="Rename a strategy or change its signal age and session window",
        responses=error_responses(404, 409, 413, 415, 422),
    )
    async def update_strategy(
        self,
        conn: Conn,
        client: Client,
        strategy_id: FromPath[UUID],
        data: JSONBody[StrategyUpdate],
    ) -> StrategyRead:
        changes = data.changes()
        if not changes:
            raise FieldValidationError("body", "send at least one field to change")
        strategy = await strategies_service.update_strategy(
            conn, client_id=client.client_id, strategy_id=strategy_id, changes=changes
        )
        return StrategyRead.of(strategy)

    @post(
        "/{strategy_id:uuid}/rotate-secret",
        operation_id="rotateStrategySecret",
        summary="A new webhook secret (shown once); the old one stops working at once",
        status_code=200,
        responses=error_responses(404, 409),
    )
    async def rotate_secret(
        self, conn: Conn, client: Client, strategy_id: FromPath[UUID]
    ) -> StrategyIssued:
        issued = await strategies_service.rotate_secret(
            conn, client_id=client.client_id, strategy_id=strategy_id
        )
        return StrategyIssued.of(issued)

    @delete(
        "/{strategy_id:uuid}",
        operation_id="archiveStrategy",
        summary="Archive a strategy (refused while running bots subscribe; idempotent)",
        status_code=200,
        responses=error_responses(404, 409),
    )
    async def archive_strategy(
        self, conn: Conn, client: Client, strategy_id: FromPath[UUID]
    ) -> StrategyRead:
        strategy = await strategies_service.archive_strategy(
            conn, client_id=client.client_id, strategy_id=strategy_id
        )
        return StrategyRead.of(strategy)

    @get(
        "/{strategy_id:uuid}/signals",
        operation_id="listStrategySignals",
        summary="The strategy's signals, newest first (cursor pagination)",
        responses=error_responses(404),
    )
    async def list_signals(
        self,
        conn: Conn,
        client: Client,
        strategy_id: FromPath[UUID],
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> SignalPage:
        await _own_strategy(conn, client, strategy_id)
        rows = await signals_repo.list_strategy_signals(
            conn,
            client.client_id,
            strategy_id,
            before=decode_cursor(cursor, UUID) if cursor else None,
            limit=limit + 1,
        )
        # created_at = received_at for signals: the page key is the arrival time.
        page, next_cursor = split_page(rows, limit)
        return SignalPage(items=[SignalRead.of(row) for row in page], next_cursor=next_cursor)
