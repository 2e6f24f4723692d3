"""Positions of signal bots (sql/queries/positions.sql): the position with its numbers
from fills, its orders and order lists, its protection and state, its event log.

Functions take the connection: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.statements import execute, fetch_all, fetch_one, fetch_value
from shared.domain import (
    BotKind,
    BotStatus,
    ExitMode,
    OrderListStatus,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionEventKind,
    PositionStatus,
)
from shared.repositories.rows import coerce_enums


@dataclass(frozen=True, slots=True)
class PositionWithNumbers:
    """A position and its numbers from fills (as ops.positions computes them): what the
    worker (PositionRow) and the HTTP API (position_reads.Position) both read."""

    id: UUID
    client_id: UUID
    bot_id: UUID
    credential_id: UUID
    symbol: str
    status: PositionStatus
    exit_mode: ExitMode
    stop_price: Decimal | None
    take_profit_price: Decimal | None
    trail_anchor: Decimal | None
    atr: Decimal | None
    close_reason: str | None
    entry_amount: Decimal
    exit_amount: Decimal
    size: Decimal
    avg_entry_price: Decimal | None
    realized_pnl: Decimal

    def __post_init__(self) -> None:
        coerce_enums(self)


@dataclass(frozen=True, slots=True)
class PositionRow(PositionWithNumbers):
    """What the position watch reads of a position."""

    base_fees: Decimal  # fees paid in the base asset: held that much less than `size`


@dataclass(frozen=True, slots=True)
class PositionOrderRow:
    id: UUID
    bot_leg: str
    side: OrderSide
    type: OrderType
    status: OrderStatus
    amount: Decimal
    filled_amount: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    order_list_id: UUID | None
    cancel_requested: bool

    def __post_init__(self) -> None:
        coerce_enums(self)


@dataclass(frozen=True, slots=True)
class PositionOrderListRow:
    id: UUID
    status: OrderListStatus
    reject_reason: str | None
    last_error_message: str | None

    def __post_init__(self) -> None:
        coerce_enums(self)


@dataclass(frozen=True, slots=True)
class PositionBotRow:
    status: BotStatus
    kind: BotKind
    config: dict[str, Any]

    def __post_init__(self) -> None:
        coerce_enums(self)


async def lock_position(conn: AsyncConnection[Any], position_id: UUID) -> PositionRow | None:
    """The position (any client), locked until the caller's transaction ends."""
    return await fetch_one(conn, PositionRow, "position_lock", position_id=position_id)


async def read_position(conn: AsyncConnection[Any], position_id: UUID) -> PositionRow | None:
    return await fetch_one(conn, PositionRow, "position_read", position_id=position_id)


async def position_orders(conn: AsyncConnection[Any], position_id: UUID) -> list[PositionOrderRow]:
    return await fetch_all(conn, PositionOrderRow, "position_orders", position_id=position_id)


async def position_order_lists(
    conn: AsyncConnection[Any], position_id: UUID
) -> list[PositionOrderListRow]:
    return await fetch_all(
        conn, PositionOrderListRow, "position_order_lists", position_id=position_id
    )


async def position_bot(conn: AsyncConnection[Any], bot_id: UUID) -> PositionBotRow | None:
    return await fetch_one(conn, PositionBotRow, "position_bot_state", bot_id=bot_id)


async def set_protection(
    conn: AsyncConnection[Any],
    position_id: UUID,
    *,
    stop_price: Decimal | None,
    take_profit_price: Decimal | None,
    trail_anchor: Decimal | None,
) -> None:
    await execute(
        conn,
        "position_set_protection",
        position_id=position_id,
        stop_price=stop_price,
        take_profit_price=take_profit_price,
        trail_anchor=trail_anchor,
    )


async def set_closing(conn: AsyncConnection[Any], position_id: UUID, reason: str) -> bool:
    """True when this call moved it from open to closing (the first reason stands)."""
    moved = await fetch_value(conn, "position_set_closing", position_id=position_id, reason=reason)
    return moved is not None


async def close(conn: AsyncConnection[Any], position_id: UUID, reason: str) -> None:
    """Closed; a reason set when it started closing stands."""
    await execute(conn, "position_close", position_id=position_id, reason=reason)


async def insert_event(
    conn: AsyncConnection[Any],
    position_id: UUID,
    kind: PositionEventKind,
    *,
    stop_from: Decimal | None = None,
    stop_to: Decimal | None = None,
    detail: str | None = None,
) -> None:
    await execute(
        conn,
        "position_insert_event",
        position_id=position_id,
        kind=kind.value,
        stop_from=stop_from,
        stop_to=stop_to,
        detail=detail[:1000] if detail is not None else None,
    )


async def unclosed_position_of_bot(conn: AsyncConnection[Any], bot_id: UUID) -> UUID | None:
    """The bot's open or closing position, if it has one."""
    found = await fetch_value(conn, "position_of_bot", bot_id=bot_id)
    return found if found is None else UUID(str(found))
