"""Bots. Every statement is scoped by client; archiving never deletes.

Functions take the connection: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from shared.db.errors import db_errors_as_domain_errors
from shared.db.statements import fetch_all, fetch_one
from shared.domain import BotKind, BotStatus, OrderSide, OrderStatus
from shared.errors import ConflictError
from shared.repositories.rows import coerce_enums


@dataclass(frozen=True, slots=True)
class Bot:
    id: UUID
    client_id: UUID
    name: str
    kind: BotKind
    exchange: str
    symbol: str
    credential_id: UUID
    config: dict[str, Any]
    status: BotStatus
    status_reason: str | None
    tick_number: int
    last_tick_at: datetime | None
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    # The strategy a signal bot subscribes to (None for the other kinds).
    strategy_id: UUID | None

    def __post_init__(self) -> None:
        coerce_enums(self)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


def _name_taken(name: str) -> ConflictError:
    return ConflictError(f"a bot named {name!r} already exists")


async def insert_bot(
    conn: AsyncConnection,
    *,
    client_id: UUID,
    name: str,
    kind: BotKind,
    exchange: str,
    symbol: str,
    credential_id: UUID,
    config: dict[str, Any],
    strategy_id: UUID | None = None,
) -> Bot:
    params = {
        "client_id": client_id,
        "name": name,
        "kind": kind.value,
        "exchange": exchange,
        "symbol": symbol,
        "credential_id": credential_id,
        "config": Jsonb(config),
        "strategy_id": strategy_id,
    }
    try:
        async with db_errors_as_domain_errors():
            row = await fetch_one(conn, Bot, "insert_bot", **params)
    except ConflictError:
        raise _name_taken(name) from None
    assert row is not None
    return row


async def get_bot(conn: AsyncConnection, client_id: UUID, bot_id: UUID) -> Bot | None:
    return await fetch_one(conn, Bot, "get_bot", client_id=client_id, bot_id=bot_id)


async def lock_bot(conn: AsyncConnection, client_id: UUID, bot_id: UUID) -> Bot | None:
    """The bot row, locked until the transaction ends (start/stop/archive serialise on it)."""
    return await fetch_one(conn, Bot, "lock_bot", client_id=client_id, bot_id=bot_id)


async def list_bots(
    conn: AsyncConnection, client_id: UUID, *, include_archived: bool = False
) -> list[Bot]:
    return await fetch_all(
        conn, Bot, "list_bots", client_id=client_id, include_archived=include_archived
    )


async def update_bot(
    conn: AsyncConnection,
    client_id: UUID,
    bot_id: UUID,
    *,
    name: str | None = None,
    config: dict[str, Any] | None = None,
) -> Bot | None:
    """None when the bot is missing, another client's, or archived."""
    params = {
        "client_id": client_id,
        "bot_id": bot_id,
        "name": name,
        "config": Jsonb(config) if config is not None else None,
    }
    try:
        async with db_errors_as_domain_errors():
            return await fetch_one(conn, Bot, "update_bot", **params)
    except ConflictError:
        raise _name_taken(name or "") from None


async def set_bot_status(
    conn: AsyncConnection,
    client_id: UUID,
    bot_id: UUID,
    status: BotStatus,
    reason: str | None,
) -> Bot | None:
    return await fetch_one(
        conn,
        Bot,
        "set_bot_status",
        client_id=client_id,
        bot_id=bot_id,
        status=status.value,
        status_reason=reason,
    )


async def archive_bot(conn: AsyncConnection, client_id: UUID, bot_id: UUID) -> Bot | None:
    """Stopped and archived in one statement (the schema refuses an archived running bot)."""
    return await fetch_one(conn, Bot, "archive_bot", client_id=client_id, bot_id=bot_id)


@dataclass(frozen=True, slots=True)
class BotQuote:
    """One of the bot's live orders (resting at the venue, or about to)."""

    id: UUID
    leg: str | None
    side: OrderSide
    price: Decimal | None
    amount: Decimal
    remaining: Decimal
    status: OrderStatus
    cancel_requested: bool
    tick_number: int | None

    def __post_init__(self) -> None:
        coerce_enums(self)


@dataclass(frozen=True, slots=True)
class BotSkip:
    tick_number: int
    ticked_at: datetime
    skip_reasons: list[str]


@dataclass(frozen=True, slots=True)
class BotActivity:
    quotes: list[BotQuote]
    last_skip: BotSkip | None


async def get_bot_activity(conn: AsyncConnection, client_id: UUID, bot_id: UUID) -> BotActivity:
    """What the bot is doing now: its live orders and the newest tick that skipped."""
    params = {"client_id": client_id, "bot_id": bot_id}
    quotes = await fetch_all(conn, BotQuote, "bot_live_quotes", **params)
    last_skip = await fetch_one(conn, BotSkip, "bot_last_skip", **params)
    return BotActivity(quotes=quotes, last_skip=last_skip)
