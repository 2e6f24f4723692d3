"""Signals as the fan-out reads and writes them (sql/queries/signals.sql).

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

from shared.db.statements import execute, fetch_all, fetch_one, fetch_value, fetch_values
from shared.domain import (
    CredentialEnvironment,
    DeliveryOutcome,
    OrderSide,
    OrderSource,
    OrderType,
    PositionStatus,
    SignalAction,
    TimeInForce,
)
from shared.repositories.rows import coerce_enums


@dataclass(frozen=True, slots=True)
class SignalToFanOut:
    id: UUID
    strategy_id: UUID
    client_id: UUID
    sender_signal_id: str
    symbol: str
    action: SignalAction
    reference_price: Decimal | None
    outcome: str
    fanned_out_at: datetime | None

    def __post_init__(self) -> None:
        coerce_enums(self)


@dataclass(frozen=True, slots=True)
class SignalLock:
    fanned_out_at: datetime | None
    now: datetime  # the transaction's timestamp: every row's created_at


@dataclass(frozen=True, slots=True)
class FanOutTarget:
    """One running bot subscribed to the signal's strategy and symbol."""

    bot_id: UUID
    client_id: UUID
    credential_id: UUID
    config: dict[str, Any]
    venue: str
    environment: CredentialEnvironment
    api_base_url: str | None
    credential_revoked: bool
    position_id: UUID | None  # its position not yet closed, if any
    position_status: PositionStatus | None
    position_size: Decimal
    quote_free: Decimal | None  # None: no balance of the quote asset on record
    quote_total: Decimal | None
    base_total: Decimal
    kill_switch_reason: str | None
    balances_need_fetch: bool

    def __post_init__(self) -> None:
        coerce_enums(self)


@dataclass(frozen=True, slots=True)
class PlannedEntry:
    """The entry order of one bot, every column decided in Python (shared.orders.intents
    helpers) so the bulk-written row equals one written by submit_order_intent."""

    order_id: UUID
    position_id: UUID
    new_position: bool
    exit_mode: str
    atr: Decimal | None
    amount: Decimal
    price: Decimal
    idempotency_key: str
    fingerprint: bytes
    client_order_id: str
    response_body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EntryShape:
    """What every entry order of a fan-out shares."""

    source: OrderSource
    bot_leg: str
    side: OrderSide
    type: OrderType
    time_in_force: TimeInForce


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    bot_id: UUID
    entry: PlannedEntry | None = None
    skip_reason: str | None = None  # with entry None


@dataclass(frozen=True, slots=True)
class EntryFanOutWritten:
    order_ids: list[UUID]  # the orders inserted (their place_order jobs are the caller's)
    position_ids: list[UUID]  # the positions opened (their watch_position jobs too)
    deliveries: int


@dataclass(frozen=True, slots=True)
class _EntryFanOutRow:
    order_ids: list[UUID] | None
    position_ids: list[UUID] | None
    deliveries: int


async def get_signal(conn: AsyncConnection[Any], signal_id: UUID) -> SignalToFanOut | None:
    return await fetch_one(conn, SignalToFanOut, "get_signal_for_fan_out", signal_id=signal_id)


async def lock_signal(conn: AsyncConnection[Any], signal_id: UUID) -> SignalLock | None:
    return await fetch_one(conn, SignalLock, "lock_signal_for_fan_out", signal_id=signal_id)


async def fan_out_targets(
    conn: AsyncConnection[Any], strategy_id: UUID, symbol: str, *, balance_max_age_s: float
) -> list[FanOutTarget]:
    return await fetch_all(
        conn, FanOutTarget, "fan_out_targets", strategy_id=strategy_id, symbol=symbol,
        balance_max_age_s=balance_max_age_s,
    )  # fmt: skip


async def write_entry_fan_out(
    conn: AsyncConnection[Any],
    *,
    signal_id: UUID,
    client_id: UUID,
    deliveries: list[PlannedDelivery],
    response_status: int,
    event_message: str,
    opened_detail: str,
    entry: EntryShape,
) -> EntryFanOutWritten:
    entries = [d.entry for d in deliveries]
    params: dict[str, Any] = {
        "signal_id": signal_id,
        "client_id": client_id,
        "response_status": response_status,
        "event_message": event_message,
        "opened_detail": opened_detail,
        "source": entry.source,
        "bot_leg": entry.bot_leg,
        "side": entry.side,
        "type": entry.type,
        "time_in_force": entry.time_in_force,
        "bot_ids": [d.bot_id for d in deliveries],
        "outcomes": [
            DeliveryOutcome.ORDERED.value if d.entry else DeliveryOutcome.SKIPPED.value
            for d in deliveries
        ],
        "reasons": [d.skip_reason for d in deliveries],
        "order_ids": [e.order_id if e else None for e in entries],
        "position_ids": [e.position_id if e else None for e in entries],
        "new_positions": [e.new_position if e else False for e in entries],
        "exit_modes": [e.exit_mode if e else None for e in entries],
        "atrs": [e.atr if e else None for e in entries],
        "amounts": [e.amount if e else None for e in entries],
        "prices": [e.price if e else None for e in entries],
        "idempotency_keys": [e.idempotency_key if e else None for e in entries],
        "fingerprints": [e.fingerprint if e else None for e in entries],
        "client_order_ids": [e.client_order_id if e else None for e in entries],
        "response_bodies": [Jsonb(e.response_body) if e else None for e in entries],
    }
    row = await fetch_one(conn, _EntryFanOutRow, "write_entry_fan_out", **params)
    assert row is not None  # the statement always returns its one summary row
    return EntryFanOutWritten(
        order_ids=list(row.order_ids or []),
        position_ids=list(row.position_ids or []),
        deliveries=row.deliveries,
    )


async def write_exit_fan_out(
    conn: AsyncConnection[Any],
    *,
    signal_id: UUID,
    client_id: UUID,
    bot_ids: list[UUID],
    skip_reasons: list[str | None],
    closing_detail: str,
) -> list[UUID]:
    """The positions set closing."""
    closing: list[UUID] = await fetch_value(
        conn,
        "write_exit_fan_out",
        signal_id=signal_id,
        client_id=client_id,
        bot_ids=bot_ids,
        reasons=skip_reasons,
        closing_detail=closing_detail,
    )
    return list(closing)


async def mark_fanned_out(
    conn: AsyncConnection[Any], signal_id: UUID, *, bots_targeted: int, orders_created: int
) -> None:
    await execute(
        conn,
        "mark_signal_fanned_out",
        signal_id=signal_id,
        bots_targeted=bots_targeted,
        orders_created=orders_created,
    )


async def signals_awaiting_fan_out(
    conn: AsyncConnection[Any], *, min_age_s: float, limit: int
) -> list[UUID]:
    return await fetch_values(conn, "signals_awaiting_fan_out", min_age_s=min_age_s, limit=limit)
