"""Signals as the webhook records them and their client reads them (one row per
strategy and sender's signal_id), with their deliveries. The fan-out's reads and writes
are in shared.repositories.signals.

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
from shared.db.statements import fetch_all, fetch_one, fetch_value
from shared.domain import DeliveryOutcome, SignalAction, SignalOutcome
from shared.repositories.rows import coerce_enums


@dataclass(frozen=True, slots=True)
class ReceivedSignal:
    """The columns the webhook records of a signal and its client reads back: written as a
    NewSignal, read as a Signal."""

    id: UUID
    strategy_id: UUID
    client_id: UUID
    signal_id: str
    symbol: str
    action: SignalAction
    reference_price: Decimal | None
    signal_time: datetime | None
    received_at: datetime
    outcome: SignalOutcome
    refusal_reason: str | None
    response_status: int

    def __post_init__(self) -> None:
        coerce_enums(self)


@dataclass(frozen=True, slots=True)
class NewSignal(ReceivedSignal):
    fingerprint: bytes
    response_body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FirstResponse:
    """What a replay of a sender's signal_id is compared with and answered."""

    id: UUID
    fingerprint: bytes
    response_status: int
    response_body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Signal(ReceivedSignal):
    fanned_out_at: datetime | None
    bots_targeted: int | None
    orders_created: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    bot_id: UUID
    bot_name: str
    outcome: DeliveryOutcome
    reason: str | None
    order_id: UUID | None
    position_id: UUID | None
    created_at: datetime

    def __post_init__(self) -> None:
        coerce_enums(self)


async def insert_signal(conn: AsyncConnection, signal: NewSignal) -> bool:
    """False when the strategy already has this signal_id (the row is then committed)."""
    params = {
        "id": signal.id,
        "strategy_id": signal.strategy_id,
        "client_id": signal.client_id,
        "signal_id": signal.signal_id,
        "fingerprint": signal.fingerprint,
        "symbol": signal.symbol,
        "action": signal.action.value,
        "reference_price": signal.reference_price,
        "signal_time": signal.signal_time,
        "received_at": signal.received_at,
        "outcome": signal.outcome.value,
        "refusal_reason": signal.refusal_reason,
        "response_status": signal.response_status,
        "response_body": Jsonb(signal.response_body),
    }
    async with db_errors_as_domain_errors():
        inserted = await fetch_value(conn, "insert_signal", **params)
    return inserted is not None


async def signal_first_response(
    conn: AsyncConnection, strategy_id: UUID, signal_id: str
) -> FirstResponse | None:
    return await fetch_one(
        conn, FirstResponse, "signal_first_response", strategy_id=strategy_id, signal_id=signal_id
    )


async def get_signal(conn: AsyncConnection, client_id: UUID, signal_id: UUID) -> Signal | None:
    return await fetch_one(conn, Signal, "get_signal", client_id=client_id, signal_id=signal_id)


async def list_strategy_signals(
    conn: AsyncConnection,
    client_id: UUID,
    strategy_id: UUID,
    *,
    before: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Signal]:
    return await fetch_all(
        conn,
        Signal,
        "list_strategy_signals",
        client_id=client_id,
        strategy_id=strategy_id,
        before_received_at=before[0] if before else None,
        before_id=before[1] if before else None,
        limit=limit,
    )


async def list_signal_deliveries(
    conn: AsyncConnection, client_id: UUID, signal_id: UUID
) -> list[Delivery]:
    return await fetch_all(
        conn, Delivery, "signal_deliveries", client_id=client_id, signal_id=signal_id
    )
