"""Strategies: the signal sources signal bots subscribe to. Scoped by client, except the
webhook's lookup by id (it authenticates the caller by the strategy's secret).

Functions take the connection: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from uuid import UUID

from psycopg import AsyncConnection

from shared.db.errors import db_errors_as_domain_errors
from shared.db.statements import fetch_all, fetch_one, fetch_values
from shared.errors import ConflictError


@dataclass(frozen=True, slots=True)
class Strategy:
    id: UUID
    client_id: UUID
    name: str
    secret_hint: str
    secret_rotated_at: datetime
    max_signal_age_s: int
    # ISO weekdays (1 = Monday); None: every day.
    session_days: list[int] | None
    # None: all day. start > end spans midnight.
    session_start: time | None
    session_end: time | None
    session_timezone: str
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


@dataclass(frozen=True, slots=True)
class WebhookStrategy(Strategy):
    """A strategy with the SHA-256 of its webhook secret (the webhook's view only)."""

    secret_hash: bytes


@dataclass(frozen=True, slots=True)
class StrategySettings:
    """What a client sets on a strategy (everything but its secret)."""

    name: str
    max_signal_age_s: int
    session_days: list[int] | None
    session_start: time | None
    session_end: time | None
    session_timezone: str


def _name_taken(name: str) -> ConflictError:
    return ConflictError(f"a strategy named {name!r} already exists")


def _settings_params(settings: StrategySettings) -> dict[str, object]:
    return {
        "name": settings.name,
        "max_signal_age_s": settings.max_signal_age_s,
        "session_days": settings.session_days,
        "session_start": settings.session_start,
        "session_end": settings.session_end,
        "session_timezone": settings.session_timezone,
    }


async def insert_strategy(
    conn: AsyncConnection,
    *,
    client_id: UUID,
    settings: StrategySettings,
    secret_hash: bytes,
    secret_hint: str,
) -> Strategy:
    params = {
        "client_id": client_id,
        "secret_hash": secret_hash,
        "secret_hint": secret_hint,
        **_settings_params(settings),
    }
    try:
        async with db_errors_as_domain_errors():
            row = await fetch_one(conn, Strategy, "insert_strategy", **params)
    except ConflictError:
        raise _name_taken(settings.name) from None
    assert row is not None
    return row


async def get_strategy(
    conn: AsyncConnection, client_id: UUID, strategy_id: UUID
) -> Strategy | None:
    return await fetch_one(
        conn, Strategy, "get_strategy", client_id=client_id, strategy_id=strategy_id
    )


async def lock_strategy(
    conn: AsyncConnection, client_id: UUID, strategy_id: UUID
) -> Strategy | None:
    return await fetch_one(
        conn, Strategy, "lock_strategy", client_id=client_id, strategy_id=strategy_id
    )


async def share_lock_strategy(
    conn: AsyncConnection, client_id: UUID, strategy_id: UUID
) -> Strategy | None:
    """The strategy, share-locked: it cannot be archived before the caller commits."""
    return await fetch_one(
        conn, Strategy, "share_lock_strategy", client_id=client_id, strategy_id=strategy_id
    )


async def strategy_for_webhook(conn: AsyncConnection, strategy_id: UUID) -> WebhookStrategy | None:
    """Any client's strategy with its secret's hash (the caller authenticates with it)."""
    return await fetch_one(conn, WebhookStrategy, "strategy_for_webhook", strategy_id=strategy_id)


async def list_strategies(
    conn: AsyncConnection, client_id: UUID, *, include_archived: bool = False
) -> list[Strategy]:
    return await fetch_all(
        conn, Strategy, "list_strategies", client_id=client_id, include_archived=include_archived
    )


async def update_strategy(
    conn: AsyncConnection, client_id: UUID, strategy_id: UUID, settings: StrategySettings
) -> Strategy | None:
    """None when the strategy is missing, another client's, or archived."""
    params = {"client_id": client_id, "strategy_id": strategy_id, **_settings_params(settings)}
    try:
        async with db_errors_as_domain_errors():
            return await fetch_one(conn, Strategy, "update_strategy", **params)
    except ConflictError:
        raise _name_taken(settings.name) from None


async def rotate_strategy_secret(
    conn: AsyncConnection,
    client_id: UUID,
    strategy_id: UUID,
    *,
    secret_hash: bytes,
    secret_hint: str,
) -> Strategy | None:
    """None when the strategy is missing, another client's, or archived."""
    return await fetch_one(
        conn,
        Strategy,
        "rotate_strategy_secret",
        client_id=client_id,
        strategy_id=strategy_id,
        secret_hash=secret_hash,
        secret_hint=secret_hint,
    )


async def strategy_running_bots(
    conn: AsyncConnection, client_id: UUID, strategy_id: UUID
) -> list[UUID]:
    return await fetch_values(
        conn, "strategy_running_bots", client_id=client_id, strategy_id=strategy_id
    )


async def archive_strategy(
    conn: AsyncConnection, client_id: UUID, strategy_id: UUID
) -> Strategy | None:
    return await fetch_one(
        conn, Strategy, "archive_strategy", client_id=client_id, strategy_id=strategy_id
    )
