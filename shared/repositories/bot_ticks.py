"""A running bot's ticks (sql/queries/bot_ticks.sql): the bot row as the worker locks and
advances it, the orders and fills a strategy decides from, and the `bot_ticks` log.

Functions take the connection: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.statements import execute, fetch_all, fetch_one, fetch_value
from shared.domain import OrderSide, OrderStatus
from shared.repositories.bots import Bot
from shared.repositories.rows import coerce_enums


@dataclass(frozen=True, slots=True)
class LiveOrderRow:
    """A bot order that is not terminal: what rests at the venue or may soon."""

    id: UUID
    bot_leg: str  # a bot's orders always carry their leg
    side: OrderSide
    price: Decimal | None
    remaining: Decimal
    status: OrderStatus
    cancel_requested: bool

    def __post_init__(self) -> None:
        coerce_enums(self)


@dataclass(frozen=True, slots=True)
class TickRecord:
    """One `bot_ticks` row (a re-run of the same tick overwrites it)."""

    bot_id: UUID
    client_id: UUID
    tick_number: int
    outcome: str
    mid: Decimal | None
    orders_placed: int
    cancels_requested: int
    skip_reasons: list[str]
    error: str | None
    next_tick_in_s: Decimal | None
    ticked_at: datetime


async def lock_bot(conn: AsyncConnection[Any], bot_id: UUID) -> Bot | None:
    """The bot (any client), locked until the caller's transaction ends."""
    return await fetch_one(conn, Bot, "bot_tick_lock_bot", bot_id=bot_id)


async def advance(
    conn: AsyncConnection[Any], bot_id: UUID, tick_number: int, ticked_at: datetime
) -> None:
    await execute(
        conn, "bot_tick_advance", bot_id=bot_id, tick_number=tick_number, ticked_at=ticked_at
    )


async def fail(conn: AsyncConnection[Any], bot_id: UUID, reason: str) -> None:
    """Only a running bot goes to error: a stop or a kill switch that came first wins."""
    await execute(conn, "bot_tick_fail", bot_id=bot_id, reason=reason)


async def live_orders(conn: AsyncConnection[Any], bot_id: UUID) -> list[LiveOrderRow]:
    return await fetch_all(conn, LiveOrderRow, "bot_tick_live_orders", bot_id=bot_id)


async def traded_since(conn: AsyncConnection[Any], bot_id: UUID, since: datetime) -> Decimal:
    """Quote notional the bot traded since `since`."""
    traded = await fetch_value(conn, "bot_tick_traded_since", bot_id=bot_id, since=since)
    return Decimal(traded) if traded is not None else Decimal(0)


async def last_side(conn: AsyncConnection[Any], bot_id: UUID) -> OrderSide | None:
    side = await fetch_value(conn, "bot_tick_last_side", bot_id=bot_id)
    return None if side is None else OrderSide(side)


async def record(conn: AsyncConnection[Any], tick: TickRecord) -> None:
    await execute(
        conn,
        "bot_tick_record",
        bot_id=tick.bot_id,
        client_id=tick.client_id,
        tick_number=tick.tick_number,
        outcome=tick.outcome,
        mid=tick.mid,
        orders_placed=tick.orders_placed,
        cancels_requested=tick.cancels_requested,
        skip_reasons=tick.skip_reasons,
        error=tick.error,
        next_tick_in_s=tick.next_tick_in_s,
        ticked_at=tick.ticked_at,
    )


async def prune(conn: AsyncConnection[Any], bot_id: UUID, tick_number: int, keep: int) -> None:
    """Diagnostics only: keep the newest `keep` ticks of the bot."""
    await execute(conn, "bot_tick_prune", bot_id=bot_id, tick_number=tick_number, keep=keep)
