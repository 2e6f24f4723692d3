"""Positions of signal bots as their client reads them (the HTTP API): with their numbers
(from fills, ops.positions) and their events. Reads only, scoped by client; the worker's
reads and writes are in shared.repositories.positions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.statements import fetch_all, fetch_one
from shared.domain import PositionEventKind, PositionStatus
from shared.repositories.positions import PositionWithNumbers
from shared.repositories.rows import coerce_enums


@dataclass(frozen=True, slots=True)
class Position(PositionWithNumbers):
    avg_exit_price: Decimal | None
    opened_at: datetime
    closed_at: datetime | None
    opened_by_signal: UUID | None
    closing_since: datetime | None
    updated_at: datetime

    @property
    def created_at(self) -> datetime:
        """The pagination key (web.pagination pages by `created_at`, `id`)."""
        return self.opened_at


@dataclass(frozen=True, slots=True)
class PositionEvent:
    id: int
    kind: PositionEventKind
    stop_from: Decimal | None
    stop_to: Decimal | None
    detail: str | None
    created_at: datetime

    def __post_init__(self) -> None:
        coerce_enums(self)


async def list_positions(
    conn: AsyncConnection,
    client_id: UUID,
    *,
    bot_id: UUID | None,
    status: PositionStatus | None,
    before: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Position]:
    return await fetch_all(
        conn,
        Position,
        "list_positions",
        client_id=client_id,
        bot_id=bot_id,
        status=status.value if status else None,
        before_opened_at=before[0] if before else None,
        before_id=before[1] if before else None,
        limit=limit,
    )


async def get_position(
    conn: AsyncConnection, client_id: UUID, position_id: UUID
) -> Position | None:
    return await fetch_one(
        conn, Position, "get_position", client_id=client_id, position_id=position_id
    )


async def list_position_events(conn: AsyncConnection, position_id: UUID) -> list[PositionEvent]:
    return await fetch_all(conn, PositionEvent, "list_position_events", position_id=position_id)
