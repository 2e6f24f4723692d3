"""Orders (intent + lifecycle), their events and fills. Every read is scoped by client.

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
    CallOutcome,
    OrderEventKind,
    OrderSide,
    OrderSource,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from shared.repositories.fills import (
    Fill as Fill,  # re-exported: the API's order view reads it here
)
from shared.repositories.rows import coerce_enums


@dataclass(frozen=True, slots=True)
class Order:
    id: UUID
    client_id: UUID
    credential_id: UUID
    bot_id: UUID | None
    source: OrderSource
    bot_tick: int | None
    bot_leg: str | None
    symbol: str
    side: OrderSide
    type: OrderType
    time_in_force: TimeInForce | None
    amount: Decimal
    price: Decimal | None
    idempotency_key: str
    client_order_id: str
    exchange_order_id: str | None
    status: OrderStatus
    filled_amount: Decimal
    remaining_amount: Decimal
    avg_fill_price: Decimal | None
    attempts: int
    last_error_code: str | None
    last_error_message: str | None
    reject_reason: str | None
    cancel_requested_at: datetime | None
    submitted_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    # Signal bots: a stop leg's trigger, and what the order belongs to.
    stop_price: Decimal | None = None
    signal_id: UUID | None = None
    position_id: UUID | None = None
    order_list_id: UUID | None = None

    def __post_init__(self) -> None:
        coerce_enums(self)


@dataclass(frozen=True, slots=True)
class NewOrder:
    id: UUID
    client_id: UUID
    credential_id: UUID
    bot_id: UUID | None
    source: OrderSource
    bot_tick: int | None
    bot_leg: str | None
    symbol: str
    side: OrderSide
    type: OrderType
    time_in_force: TimeInForce | None
    amount: Decimal
    price: Decimal | None
    idempotency_key: str
    request_fingerprint: bytes
    client_order_id: str
    stop_price: Decimal | None = None
    signal_id: UUID | None = None
    position_id: UUID | None = None
    order_list_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    id: UUID
    request_fingerprint: bytes
    response_status: int | None
    response_body: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class OrderEvent:
    id: int
    order_id: UUID
    kind: OrderEventKind
    from_status: OrderStatus | None
    to_status: OrderStatus | None
    attempt: int | None
    call: str | None
    outcome: CallOutcome | None
    error_class: str | None
    venue_code: str | None
    message: str | None
    latency_ms: int | None
    created_at: datetime

    def __post_init__(self) -> None:
        coerce_enums(self)


@dataclass(frozen=True, slots=True)
class OrderFilters:
    status: OrderStatus | None = None
    side: OrderSide | None = None
    symbol: str | None = None
    bot_id: UUID | None = None
    credential_id: UUID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


async def insert_order_intent(conn: AsyncConnection, new: NewOrder) -> Order | None:
    """The new row with its `accepted` event, or None when (client_id, idempotency_key)
    already exists or the credential is not the client's usable one."""
    params = {
        "id": new.id,
        "client_id": new.client_id,
        "credential_id": new.credential_id,
        "bot_id": new.bot_id,
        "source": new.source.value,
        "bot_tick": new.bot_tick,
        "bot_leg": new.bot_leg,
        "symbol": new.symbol,
        "side": new.side.value,
        "type": new.type.value,
        "time_in_force": new.time_in_force.value if new.time_in_force else None,
        "amount": new.amount,
        "price": new.price,
        "idempotency_key": new.idempotency_key,
        "request_fingerprint": new.request_fingerprint,
        "stop_price": new.stop_price,
        "signal_id": new.signal_id,
        "position_id": new.position_id,
        "order_list_id": new.order_list_id,
        "client_order_id": new.client_order_id,
        "event_message": f"intent accepted ({new.source.value})",
    }
    return await fetch_one(conn, Order, "insert_order_intent", **params)


async def get_idempotency_record(
    conn: AsyncConnection, client_id: UUID, idempotency_key: str
) -> IdempotencyRecord | None:
    return await fetch_one(
        conn,
        IdempotencyRecord,
        "get_idempotency_record",
        client_id=client_id,
        idempotency_key=idempotency_key,
    )


async def store_order_response(
    conn: AsyncConnection, order_id: UUID, status: int, body: dict[str, Any]
) -> dict[str, Any]:
    """Stores the first response; returns the body as Postgres keeps it (JSONB-normalised),
    which is what every replay will return too."""
    stored: dict[str, Any] = await fetch_value(
        conn,
        "store_order_response",
        order_id=order_id,
        response_status=status,
        response_body=Jsonb(body),
    )
    assert stored is not None
    return stored


async def insert_order_event(
    conn: AsyncConnection,
    order_id: UUID,
    kind: OrderEventKind,
    *,
    message: str | None = None,
    from_status: OrderStatus | None = None,
    to_status: OrderStatus | None = None,
    attempt: int | None = None,
    call: str | None = None,
    outcome: CallOutcome | None = None,
    error_class: str | None = None,
    venue_code: str | None = None,
    latency_ms: int | None = None,
    job_id: int | None = None,
) -> None:
    """Append to the order's log (order_events is append-only)."""
    await execute(
        conn,
        "insert_order_event",
        order_id=order_id,
        kind=kind.value,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        attempt=attempt,
        call=call,
        outcome=outcome.value if outcome else None,
        error_class=error_class,
        venue_code=venue_code,
        message=message,
        latency_ms=latency_ms,
        job_id=job_id,
    )


async def get_order(conn: AsyncConnection, client_id: UUID, order_id: UUID) -> Order | None:
    return await fetch_one(conn, Order, "get_order", client_id=client_id, order_id=order_id)


async def list_orders(
    conn: AsyncConnection,
    client_id: UUID,
    filters: OrderFilters,
    *,
    before: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Order]:
    params = {
        "client_id": client_id,
        "before_created_at": before[0] if before else None,
        "before_id": before[1] if before else None,
        "status": filters.status.value if filters.status else None,
        "side": filters.side.value if filters.side else None,
        "symbol": filters.symbol,
        "bot_id": filters.bot_id,
        "credential_id": filters.credential_id,
        "created_after": filters.created_after,
        "created_before": filters.created_before,
        "limit": limit,
    }
    return await fetch_all(conn, Order, "list_orders", **params)


async def request_order_cancel(
    conn: AsyncConnection, client_id: UUID, order_id: UUID
) -> Order | None:
    """Sets cancel_requested_at once; None if missing, terminal or already requested."""
    return await fetch_one(
        conn, Order, "request_order_cancel", client_id=client_id, order_id=order_id
    )


async def request_cancel_of_open_bot_orders(
    conn: AsyncConnection, client_id: UUID, bot_id: UUID
) -> list[UUID]:
    return await fetch_values(
        conn, "request_cancel_of_open_bot_orders", client_id=client_id, bot_id=bot_id
    )


async def list_order_events(conn: AsyncConnection, order_id: UUID) -> list[OrderEvent]:
    """Callers check the order belongs to the client first (get_order)."""
    return await fetch_all(conn, OrderEvent, "list_order_events", order_id=order_id)


async def list_order_fills(conn: AsyncConnection, client_id: UUID, order_id: UUID) -> list[Fill]:
    return await fetch_all(conn, Fill, "list_order_fills", client_id=client_id, order_id=order_id)
